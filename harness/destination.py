"""The Segment "Pinterest Tag" destination: settings + Segment calls -> pintrk commands.

A model of analytics.js-integrations' pinterest-tag 1.2.5, quirks included,
because the harness must predict what Pinterest really receives. Pure: data
in, data out. Where the real destination throws, the call contributes no
command and the error is reported with it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from harness.jsvalue import UNDEFINED, JsError, get_property, own_keys, to_js_string, to_json_value, truthy
from harness.segment_message import convert_dates, message_field, message_properties, message_traits, proxy_property, find_property
from harness.settings import Settings

# Segment properties copied into the event data, under Pinterest's names, in this order.
PROPERTY_MAP = [
    ("query", "search_query"),
    ("order_id", "order_id"),
    ("coupon", "coupon"),
    ("value", "value"),
    ("currency", "currency"),
]

# Product keys (exact inside `products`) and their line item names. sku comes
# after product_id, so it wins when both are set.
PRODUCT_PROPERTY_MAP = [
    ("name", "product_name"),
    ("product_id", "product_id"),
    ("sku", "product_id"),
    ("category", "product_category"),
    ("variant", "product_variant"),
    ("price", "product_price"),
    ("quantity", "product_quantity"),
    ("brand", "product_brand"),
]

# Page properties that may carry an event id. A later key overrides an earlier one.
PAGE_EVENT_ID_KEYS = ["event_id", "eid", "eventID"]

# Segment's spec events the destination maps by itself, as (object, action, Pinterest event).
BUILT_IN_EVENTS = [
    ("products", "searched", "Search"),
    ("product list", "filtered", "Search"),
    ("product", "added", "AddToCart"),
    ("order", "completed", "Checkout"),
    ("video playback", "started", "WatchVideo"),
]

_EMAIL_LIKE = re.compile(r"[^\n\r\u2028\u2029]+@[^\n\r\u2028\u2029]+\.[^\n\r\u2028\u2029]+")


def _event_pattern(object_words: str, action_words: str) -> re.Pattern[str]:
    """Build Segment's "analytics-events" pattern for one object/action pair.

    Both word orders are allowed, with an optional space or underscore around
    every word, and only the object-first order is anchored at the end.
    JavaScript's case-insensitive flag folds ASCII only, hence re.ASCII.
    """

    def words(*parts: str) -> str:
        split = [word for part in parts for word in part.split(" ")]
        return "^[ _]?" + "[ _]?".join(re.escape(word) for word in split) + "[ _]?"

    source = words(action_words, object_words) + "|" + words(object_words, action_words) + r"\Z"
    return re.compile(source, re.IGNORECASE | re.ASCII)


_BUILT_IN_PATTERNS = [(_event_pattern(obj, action), pinterest) for obj, action, pinterest in BUILT_IN_EVENTS]


@dataclass
class CallResult:
    """The commands the destination made for one Segment call (or for initialize), with its error or note."""

    call_index: int | None
    call_type: str
    commands: list[list[Any]] = field(default_factory=list)
    error: str | None = None
    note: str | None = None


@dataclass
class DestinationRun:
    """Every pintrk command one page load makes, grouped by the call that made it."""

    initialize: CallResult
    calls: list[CallResult]

    @property
    def commands(self) -> list[list[Any]]:
        """All commands in order, as JSON values (what `pintrk` received)."""
        result = [to_json_value(command) for command in self.initialize.commands]
        for call in self.calls:
            result.extend(to_json_value(command) for command in call.commands)
        return result

    @property
    def commands_by_call(self) -> list[list[list[Any]]]:
        """Commands grouped: initialize first, then one list per call."""
        groups = [self.initialize] + self.calls
        return [[to_json_value(command) for command in group.commands] for group in groups]

    @property
    def errors(self) -> list[dict[str, Any]]:
        """One entry per call on which the destination threw."""
        return [{"call": call.call_index, "error": call.error} for call in self.calls if call.error]


def run_destination(settings: Settings, stored_traits: Any, calls: list[dict[str, Any]], timezone_offset_minutes: int = 0) -> DestinationRun:
    """Run one page load: initialize with the stored traits, then each call in order.

    `calls` are Segment messages as the destination receives them (type,
    event, name, category, properties, userId, traits, messageId).
    `timezone_offset_minutes` is the browser's Date.getTimezoneOffset().
    """
    if not truthy(settings.tid):
        note = "tid is empty: the destination never loads, and analytics.js holds every call, so nothing reaches pintrk"
        initialize = CallResult(None, "initialize", note=note)
        held = [CallResult(index, str(call.get("type")), note="held by analytics.js: the destination never became ready") for index, call in enumerate(calls)]
        return DestinationRun(initialize, held)

    initialize = CallResult(None, "initialize", commands=_initialize(settings, stored_traits))
    results = []
    for index, raw_call in enumerate(calls):
        call = convert_dates(raw_call, timezone_offset_minutes)
        call_type = call.get("type")
        result = CallResult(index, str(call_type))
        try:
            if call_type == "page":
                result.commands = [_page(settings, call)]
            elif call_type == "track":
                result.commands = [_track(settings, call)]
            elif call_type == "identify":
                result.commands = _identify(call)
            else:
                result.note = f"the destination has no handler for {call_type!r} calls"
        except JsError as error:
            result.error = str(error)
        results.append(result)
    return DestinationRun(initialize, results)


def _initialize(settings: Settings, stored_traits: Any) -> list[list[Any]]:
    email = UNDEFINED
    if truthy(stored_traits):
        email = get_property(stored_traits, "email")
    if truthy(stored_traits) and truthy(email) and truthy(settings.use_enhanced_match_load):
        load = ["load", settings.tid, {"em": email}]
    else:
        load = ["load", settings.tid]
    return [load, ["page"]]


def _page(settings: Settings, call: dict[str, Any]) -> list[Any]:
    name = message_field(call, "name")
    data: dict[str, Any] = {"name": name if truthy(name) else ""}
    properties = _page_properties(call)
    for key in PAGE_EVENT_ID_KEYS:
        if truthy(properties) and truthy(get_property(properties, key)):
            data["event_id"] = get_property(properties, key)
    if truthy(settings.map_message_id_to_event_id):
        data["event_id"] = message_field(call, "messageId")
    category = message_field(call, "category")
    if truthy(category):
        data["category"] = category
        return ["track", "ViewCategory", data]
    return ["track", "PageVisit", data]


def _page_properties(call: dict[str, Any]) -> Any:
    """Return page properties with the message's name and category copied in, as the facade does."""
    properties = message_properties(call)
    if isinstance(properties, dict):
        properties = dict(properties)
        if truthy(message_field(call, "category")):
            properties["category"] = message_field(call, "category")
        if truthy(message_field(call, "name")):
            properties["name"] = message_field(call, "name")
    return properties


def _track(settings: Settings, call: dict[str, Any]) -> list[Any]:
    segment_event = message_field(call, "event")
    pinterest_event = _pinterest_event(settings.pinterest_event_mapping, segment_event)
    data = _event_data(settings, call)
    return ["track", pinterest_event if truthy(pinterest_event) else segment_event, data]


def _lower_case(value: Any) -> str:
    """Call `value.toLowerCase()`, raising JsError where JavaScript throws."""
    if value is None or value is UNDEFINED:
        kind = "null" if value is None else "undefined"
        raise JsError(f"Cannot read properties of {kind} (reading 'toLowerCase')")
    if not isinstance(value, str):
        raise JsError("segmentEvent.toLowerCase is not a function")
    return value.lower()


def _pinterest_event(mapping: Any, segment_event: Any) -> Any:
    """Return the mapped or built-in Pinterest event, or UNDEFINED for a partner-defined one."""
    for mapped_event in own_keys(mapping):
        if mapped_event.lower() == _lower_case(segment_event):
            return get_property(mapping, mapped_event)
    event_text = to_js_string(segment_event)
    for pattern, pinterest_event in _BUILT_IN_PATTERNS:
        if pattern.search(event_text):
            return pinterest_event
    return UNDEFINED


def _event_data(settings: Settings, call: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    property_map = list(PROPERTY_MAP)
    if truthy(settings.map_message_id_to_event_id):
        property_map.append(("messageId", "event_id"))
    for segment_name, pinterest_name in property_map:
        value = proxy_property(call, segment_name)
        if truthy(value):
            data[pinterest_name] = value
    if truthy(settings.map_message_id_to_event_id):
        data["event_id"] = message_field(call, "messageId")

    products = proxy_property(call, "products")
    if isinstance(products, list):
        line_items = _line_items_from_products(products)
        if line_items:
            data["line_items"] = line_items
    else:
        item = {}
        for segment_name, pinterest_name in PRODUCT_PROPERTY_MAP:
            value = proxy_property(call, segment_name)
            if truthy(value):
                item[pinterest_name] = value
        if item:
            data["line_items"] = [item]

    custom_properties = settings.pinterest_custom_properties
    count = get_property(custom_properties, "length")
    if isinstance(count, int) and not isinstance(count, bool):
        for index in range(count):
            name = to_js_string(get_property(custom_properties, str(index)))
            value = find_property(message_properties(call), name)
            if truthy(value):
                data[name] = value
    return data


def _line_items_from_products(products: list[Any]) -> list[Any]:
    """Map each product to a line item; items with no mapped key leave holes (UNDEFINED)."""
    line_items: list[Any] = []
    for index, product in enumerate(products):
        for segment_name, pinterest_name in PRODUCT_PROPERTY_MAP:
            value = get_property(product, segment_name)
            if truthy(value):
                while len(line_items) <= index:
                    line_items.append(UNDEFINED)
                if line_items[index] is UNDEFINED:
                    line_items[index] = {}
                line_items[index][pinterest_name] = value
    return line_items


def _identify(call: dict[str, Any]) -> list[list[Any]]:
    email = identify_email(call)
    if truthy(email):
        return [["set", {"np": "segment", "em": email}]]
    return []


def identify_email(call: dict[str, Any]) -> Any:
    """Return the email the destination takes from an identify call, or UNDEFINED.

    The traits' email (looked up ignoring case and punctuation) wins when
    truthy; otherwise the user id, when it looks like an email.
    """
    email = find_property(message_traits(call), "email")
    if truthy(email):
        return email
    user_id = message_field(call, "userId")
    if _EMAIL_LIKE.search(to_js_string(user_id)):
        return user_id
    return UNDEFINED
