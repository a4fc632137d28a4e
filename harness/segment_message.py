"""Segment messages as a destination reads them.

analytics.js hands a destination each message after turning ISO 8601 date
strings into Date objects, and the destination reads properties and traits
with a lookup that ignores case and punctuation. Both rules decide what
reaches Pinterest, so they are modelled here step by step.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from harness.jsvalue import UNDEFINED, JsDate, days_from_civil, get_property, has_own_property, own_keys, truthy

# analytics.js converts a string only when it starts with a full date.
_STRICT_DATE_START = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")

# ISO 8601 as analytics.js's date parser accepts it: JavaScript's \d is ASCII
# only, and its `$` matches only at the very end, hence [0-9] and \Z.
_ISO_DATE = re.compile(
    r"([0-9]{4})(?:-?([0-9]{2})(?:-?([0-9]{2}))?)?"
    r"(?:([ T])([0-9]{2}):?([0-9]{2})(?::?([0-9]{2})(?:[,.]([0-9]{1,}))?)?"
    r"(?:(Z)|([+\-])([0-9]{2})(?::?([0-9]{2}))?)?)?\Z"
)

# Date.UTC and every Date keep within 8.64e15 ms of the epoch; beyond is an invalid date.
_MAX_DATE_MILLIS = 8.64e15


def is_iso_date(value: Any) -> bool:
    """Tell whether analytics.js turns this value into a Date."""
    return isinstance(value, str) and _STRICT_DATE_START.match(value) is not None and _ISO_DATE.match(value) is not None


def parse_iso_date(text: str, timezone_offset_minutes: int = 0) -> JsDate:
    """Parse a string that is_iso_date accepted, as analytics.js's parser does.

    `timezone_offset_minutes` is the browser's `Date.getTimezoneOffset()`
    (minutes west of UTC), used only for date-times with a space before the time.
    """
    match = _ISO_DATE.match(text)
    assert match is not None, "call is_iso_date first"
    groups = match.groups()
    year = int(groups[0])
    month = (int(groups[1]) if groups[1] and int(groups[1]) else 1) - 1
    day = int(groups[2]) if groups[2] and int(groups[2]) else 1
    hours = int(groups[4] or 0)
    minutes = int(groups[5] or 0)
    seconds = int(groups[6] or 0)
    millis = int((groups[7] + "00")[:3]) if groups[7] else 0
    offset = 0
    if groups[3] == " ":
        offset = timezone_offset_minutes
    elif groups[8] != "Z" and groups[9]:
        offset = int(groups[10]) * 60 + int(groups[11] or 0)
        if groups[9] == "+":
            offset = -offset
    return JsDate(_date_utc(year, month, day, hours, minutes + offset, seconds, millis))


def _date_utc(year: int, month: int, day: int, hours: int, minutes: int, seconds: int, millis: int) -> float | None:
    """Compute JavaScript's Date.UTC, overflowing fields included; None when out of range."""
    if 0 <= year <= 99:
        year += 1900
    year += month // 12
    month %= 12
    days = days_from_civil(year, month + 1, 1) + day - 1
    total = days * 86_400_000 + hours * 3_600_000 + minutes * 60_000 + seconds * 1000 + millis
    if abs(total) > _MAX_DATE_MILLIS:
        return None
    return total


def convert_dates(value: Any, timezone_offset_minutes: int = 0) -> Any:
    """Return a deep copy with ISO date strings turned into JsDate, at any depth."""
    if isinstance(value, dict):
        return {key: convert_dates(item, timezone_offset_minutes) for key, item in value.items()}
    if isinstance(value, list):
        return [convert_dates(item, timezone_offset_minutes) for item in value]
    if is_iso_date(value):
        return parse_iso_date(value, timezone_offset_minutes)
    return copy.copy(value)


def normalise_key(key: str) -> str:
    """Drop every character but ASCII letters, digits and dots, then lowercase."""
    return re.sub(r"[^a-zA-Z0-9.]+", "", key).lower()


def find_property(container: Any, path: str) -> Any:
    """Look a dotted path up the way Segment's object lookup does.

    Keys and path are compared normalised (see normalise_key). Keys are tried
    in JavaScript's order. The first whose normalised form is a prefix of the
    path, ending at a dot or at the path's end, wins. The lookup steps into it
    and never comes back to try another key. A null on the way ends the
    lookup with that null.
    """
    remaining = normalise_key(path)
    current = container
    while True:
        step = _match_key(current, remaining)
        if step is None:
            return UNDEFINED
        key, remaining = step
        child = get_property(current, key)
        if child is None or child is UNDEFINED:
            return child
        if not remaining:
            if key == "" or not has_own_property(current, key):
                return UNDEFINED
            return child
        current = child


def _match_key(container: Any, path: str) -> tuple[str, str] | None:
    if container is None or container is UNDEFINED:
        return None
    for key in own_keys(container):
        normalised = normalise_key(key)
        if path.startswith(normalised):
            rest = path[len(normalised):]
            if rest == "" or rest[0] == ".":
                return key, rest[1:]
    return None


def message_field(message: dict[str, Any], name: str) -> Any:
    """Read a top-level field of a message (Segment's facade `field`)."""
    return message.get(name, UNDEFINED)


def message_properties(message: dict[str, Any]) -> Any:
    """Return the message's properties, or {} when they are falsy, as the facade does."""
    properties = message.get("properties", UNDEFINED)
    return properties if truthy(properties) else {}


def message_traits(message: dict[str, Any]) -> Any:
    """Return an identify message's traits with `id` added from the user id, as the facade does."""
    traits = message.get("traits", UNDEFINED)
    if not truthy(traits):
        traits = {}
    user_id = message.get("userId", UNDEFINED)
    if isinstance(traits, dict) and truthy(user_id):
        traits = dict(traits)
        traits["id"] = user_id
    return traits


def proxy_property(message: dict[str, Any], path: str) -> Any:
    """Read `properties.<path>` the way the facade's proxy does."""
    return find_property(message_properties(message), path)


def is_date(value: Any) -> bool:
    """Tell whether a value is a converted date."""
    return isinstance(value, JsDate)
