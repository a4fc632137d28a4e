"""Rules on the event data (`ed`) of `/v3/` events: value, currency, quantities, products."""

from __future__ import annotations

import re
from typing import Any, Iterator

from harness.lint.context import LintContext, event_data, event_name
from harness.lint.currencies import ISO_4217_CODES
from harness.lint.findings import Hit, js_type_name, show
from harness.wire import TagRequest

# A decimal number as JavaScript's Number() reads it from a string, minus the
# hex, binary and "Infinity" forms that no shop sends as a price.
_DECIMAL = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_INTEGER = re.compile(r"[+-]?\d+")

# Events whose line items Pinterest uses for product reporting.
PRODUCT_EVENTS = ("checkout", "addtocart")
CHECKOUT_FIELDS = ("value", "currency", "order_id")


def is_missing(data: dict[str, Any], key: str) -> bool:
    """Tell whether the key is absent, null or an empty string."""
    return data.get(key) is None or data.get(key) == ""


def is_numeric(value: Any) -> bool:
    """Tell whether a value is a number or a string holding a decimal number."""
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float)):
        return True
    return isinstance(value, str) and _DECIMAL.fullmatch(value.strip()) is not None


def is_integer(value: Any) -> bool:
    """Tell whether a value is an integer, an integral float, or a string of digits."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    if isinstance(value, float):
        return value.is_integer()
    return isinstance(value, str) and _INTEGER.fullmatch(value) is not None


def join_or(words: list[str]) -> str:
    """Join words as "a", "a or b", "a, b or c"."""
    if len(words) == 1:
        return words[0]
    return f"{', '.join(words[:-1])} or {words[-1]}"


def _on(request: TagRequest) -> str:
    return f"on event {show(event_name(request))}"


def check_value_not_numeric(context: LintContext) -> Iterator[Hit]:
    """Find a `value` that is neither a number nor a numeric string."""
    for index, request, data in context.events_with_data():
        if not is_missing(data, "value") and not is_numeric(data["value"]):
            yield index, f"value {show(data['value'])} {_on(request)} is not a number", data["value"]


def check_value_without_currency(context: LintContext) -> Iterator[Hit]:
    """Find a `value` sent without a `currency`."""
    for index, request, data in context.events_with_data():
        if not is_missing(data, "value") and is_missing(data, "currency"):
            yield index, f"value {show(data['value'])} {_on(request)} has no currency", data["value"]


def check_currency_not_iso4217(context: LintContext) -> Iterator[Hit]:
    """Find a `currency` that is not an ISO 4217 code in any letter case."""
    for index, request, data in context.events_with_data():
        if is_missing(data, "currency"):
            continue
        currency = data["currency"]
        if not isinstance(currency, str) or currency.upper() not in ISO_4217_CODES:
            yield index, f"currency {show(currency)} {_on(request)} is not an ISO 4217 code", currency


def check_currency_case(context: LintContext) -> Iterator[Hit]:
    """Find an ISO 4217 `currency` written in lower or mixed case."""
    for index, request, data in context.events_with_data():
        currency = data.get("currency")
        if isinstance(currency, str) and currency != currency.upper() and currency.upper() in ISO_4217_CODES:
            message = f"currency {show(currency)} {_on(request)} is not upper case: send {show(currency.upper())}"
            yield index, message, currency


def check_order_quantity_not_integer(context: LintContext) -> Iterator[Hit]:
    """Find an `order_quantity` that is not an integer or a string of digits."""
    for index, request, data in context.events_with_data():
        if not is_missing(data, "order_quantity") and not is_integer(data["order_quantity"]):
            quantity = data["order_quantity"]
            yield index, f"order_quantity {show(quantity)} {_on(request)} is not an integer", quantity


def check_line_items_not_list(context: LintContext) -> Iterator[Hit]:
    """Find `line_items` that is not a list."""
    for index, request, data in context.events_with_data():
        if not is_missing(data, "line_items") and not isinstance(data["line_items"], list):
            items = data["line_items"]
            yield index, f"line_items {_on(request)} is {js_type_name(items)}, not a list", items


def check_line_item_missing_product_id(context: LintContext) -> Iterator[Hit]:
    """Find line items without a `product_id` on checkout and add-to-cart events."""
    for index, request, data in context.events_with_data():
        items = data.get("line_items")
        if (request.event or "").lower() not in PRODUCT_EVENTS or not isinstance(items, list):
            continue
        positions = [
            position
            for position, item in enumerate(items)
            if not isinstance(item, dict) or is_missing(item, "product_id")
        ]
        if positions:
            names = ", ".join(f"line_items[{position}]" for position in positions)
            verb = "has" if len(positions) == 1 else "have"
            yield index, f"{names} {_on(request)} {verb} no product_id", [items[position] for position in positions]


def check_checkout_missing_fields(context: LintContext) -> Iterator[Hit]:
    """Find checkout events without a value, a currency or an order id."""
    for index, request in context.events():
        # An `ed` that failed to decode is reported by the decoder, and its keys are unknown.
        if (request.event or "").lower() != "checkout" or "ed" in request.raw:
            continue
        data = event_data(request) or {}
        missing = [key for key in CHECKOUT_FIELDS if is_missing(data, key)]
        if missing:
            yield index, f"event {show(request.event)} has no {join_or(missing)}", missing


def check_coupon_not_promo_code(context: LintContext) -> Iterator[Hit]:
    """Find a `coupon` sent without a `promo_code`, the key Pinterest reads."""
    for index, request, data in context.events_with_data():
        if not is_missing(data, "coupon") and is_missing(data, "promo_code"):
            coupon = data["coupon"]
            yield index, f"coupon {show(coupon)} {_on(request)} is not read by Pinterest: send it as promo_code", coupon
