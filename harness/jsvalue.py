"""JavaScript value semantics for data decoded from JSON.

The destination and the tag are JavaScript, so the models must read values
the way V8 does: which values are truthy, in which order `for ... in` walks an
object's keys, how a value turns into a string, and how `JSON.stringify`
writes it. Python's own rules differ on each of these points.
"""

from __future__ import annotations

import json
import math
from decimal import Decimal
from dataclasses import dataclass
from typing import Any

# The largest array index is 2**32 - 2; a larger integer-like key is an
# ordinary string key and keeps its insertion place.
_MAX_ARRAY_INDEX = 2**32 - 2


class Undefined:
    """JavaScript's `undefined`, kept apart from `None` (JSON `null`)."""

    _instance: "Undefined | None" = None

    def __new__(cls) -> "Undefined":
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "undefined"

    def __bool__(self) -> bool:
        return False


UNDEFINED = Undefined()


@dataclass(frozen=True)
class JsDate:
    """A JavaScript Date, as milliseconds since the epoch (None when invalid)."""

    millis: float | None

    def iso(self) -> str | None:
        """Return what `Date.prototype.toJSON` returns: ISO 8601 in UTC, or None."""
        if self.millis is None:
            return None
        return format_iso_millis(int(self.millis))


class JsError(Exception):
    """An exception the JavaScript code would throw (a TypeError, mostly)."""


def is_array_index(key: str) -> bool:
    """Tell whether a property key is an array index, which V8 orders first."""
    if not key or not key.isascii() or not key.isdigit():
        return False
    if len(key) > 1 and key[0] == "0":
        return False
    return int(key) <= _MAX_ARRAY_INDEX


def own_keys(value: Any) -> list[str]:
    """Return the keys `for ... in` visits on a JSON-like value, in V8's order."""
    if isinstance(value, dict):
        keys = [str(key) for key in value]
        indexes = sorted((key for key in keys if is_array_index(key)), key=int)
        others = [key for key in keys if not is_array_index(key)]
        return indexes + others
    if isinstance(value, (list, str)):
        return [str(index) for index in range(len(value))]
    return []


def get_property(value: Any, key: str) -> Any:
    """Read `value[key]` as JavaScript does; missing keys give UNDEFINED.

    Raises JsError where JavaScript throws: reading a property of null or undefined.
    """
    if value is None or value is UNDEFINED:
        kind = "null" if value is None else "undefined"
        raise JsError(f"Cannot read properties of {kind} (reading '{key}')")
    if isinstance(value, dict):
        return value.get(key, UNDEFINED)
    if isinstance(value, (list, str)):
        if is_array_index(key) and int(key) < len(value):
            return value[int(key)]
        if key == "length":
            return len(value)
    return UNDEFINED


def has_own_property(value: Any, key: str) -> bool:
    """Tell whether `value.hasOwnProperty(key)` is true."""
    if isinstance(value, dict):
        return key in value
    if isinstance(value, (list, str)):
        return (is_array_index(key) and int(key) < len(value)) or key == "length"
    return False


def truthy(value: Any) -> bool:
    """Tell whether JavaScript treats the value as true in a condition."""
    if value is None or value is UNDEFINED or value is False:
        return False
    if value is True:
        return True
    if isinstance(value, (int, float)):
        return value != 0 and not (isinstance(value, float) and math.isnan(value))
    if isinstance(value, str):
        return value != ""
    return True


def to_js_string(value: Any) -> str:
    """Convert a value to a string as `String(value)` does."""
    if value is None:
        return "null"
    if value is UNDEFINED:
        return "undefined"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)):
        return format_number(value)
    if isinstance(value, list):
        return ",".join("" if item is None or item is UNDEFINED else to_js_string(item) for item in value)
    if isinstance(value, JsDate):
        # String(date) gives a local-time text that no pattern in the models matches.
        return "Invalid Date" if value.millis is None else f"Date({value.iso()})"
    return "[object Object]"


def utf8_bytes(text: str) -> bytes:
    """Encode a string to UTF-8 as a browser's TextEncoder does: a lone surrogate becomes U+FFFD.

    JSON from a page can hold a lone surrogate (`"\\ud800"`), and Python's
    own UTF-8 encoder refuses it. A surrogate pair held as two code points is
    joined into one character.
    """
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace").encode("utf-8")


def format_number(number: float) -> str:
    """Write a number as JavaScript's `String(number)` does."""
    if isinstance(number, bool):
        return "true" if number else "false"
    if isinstance(number, int):
        if abs(number) < 10**21:
            return str(number)
        number = float(number)
    if math.isnan(number):
        return "NaN"
    if math.isinf(number):
        return "Infinity" if number > 0 else "-Infinity"
    if number == 0:
        return "0"
    sign = "-" if number < 0 else ""
    # repr gives the shortest digits that read back as the same double, as V8 does.
    _, digit_tuple, exponent = Decimal(repr(abs(number))).as_tuple()
    digits = "".join(map(str, digit_tuple)).rstrip("0") or "0"
    point = exponent + len(digit_tuple)  # the value is 0.<digits> * 10**point
    count = len(digits)
    if count <= point <= 21:
        text = digits + "0" * (point - count)
    elif 0 < point <= 21:
        text = digits[:point] + "." + digits[point:]
    elif -6 < point <= 0:
        text = "0." + "0" * -point + digits
    else:
        power = point - 1
        mantissa = digits if count == 1 else digits[0] + "." + digits[1:]
        text = f"{mantissa}e{'+' if power >= 0 else '-'}{abs(power)}"
    return sign + text


def to_json_value(value: Any) -> Any:
    """Turn a model value into what `JSON.parse(JSON.stringify(value))` gives.

    UNDEFINED object members are dropped and UNDEFINED array items become
    None, dates become ISO strings, and integral floats become ints, so the
    result compares and prints as the browser's JSON would.
    """
    if isinstance(value, dict):
        result = {}
        for key in own_keys(value):
            item = value[key] if key in value else value[int(key)]
            if item is UNDEFINED:
                continue
            result[key] = to_json_value(item)
        return result
    if isinstance(value, list):
        return [None if item is UNDEFINED else to_json_value(item) for item in value]
    if isinstance(value, JsDate):
        return value.iso()
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return None
        if value.is_integer() and abs(value) < 2**53:
            return int(value)
    return value


def dumps(value: Any) -> str:
    """Serialise a model value as compact JSON, as `JSON.stringify` would."""
    return json.dumps(to_json_value(value), ensure_ascii=False, separators=(",", ":"))


def format_iso_millis(millis: int) -> str:
    """Format milliseconds since the epoch as `Date.prototype.toISOString` does."""
    days, remainder = divmod(millis, 86_400_000)
    year, month, day = civil_from_days(days)
    hours, remainder = divmod(remainder, 3_600_000)
    minutes, remainder = divmod(remainder, 60_000)
    seconds, milliseconds = divmod(remainder, 1000)
    if 0 <= year <= 9999:
        year_text = f"{year:04d}"
    else:
        year_text = f"{'+' if year > 0 else '-'}{abs(year):06d}"
    return f"{year_text}-{month:02d}-{day:02d}T{hours:02d}:{minutes:02d}:{seconds:02d}.{milliseconds:03d}Z"


def days_from_civil(year: int, month: int, day: int) -> int:
    """Count days from 1970-01-01 to a proleptic Gregorian date (month 1-12)."""
    year -= month <= 2
    era = year // 400
    year_of_era = year - era * 400
    day_of_year = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    return era * 146_097 + day_of_era - 719_468


def civil_from_days(days: int) -> tuple[int, int, int]:
    """Turn a day count from 1970-01-01 into (year, month 1-12, day)."""
    days += 719_468
    era = days // 146_097
    day_of_era = days - era * 146_097
    year_of_era = (day_of_era - day_of_era // 1460 + day_of_era // 36_524 - day_of_era // 146_096) // 365
    year = year_of_era + era * 400
    day_of_year = day_of_era - (365 * year_of_era + year_of_era // 4 - year_of_era // 100)
    month_index = (5 * day_of_year + 2) // 153
    day = day_of_year - (153 * month_index + 2) // 5 + 1
    month = month_index + (3 if month_index < 10 else -9)
    return year + (month <= 2), month, day
