"""JavaScript value semantics used by the models."""

from __future__ import annotations

import pytest

from harness.jsvalue import UNDEFINED, JsDate, JsError, dumps, format_iso_millis, format_number, get_property, own_keys, to_js_string, to_json_value, truthy

# Expected texts were printed by `String(x)` in Node.js 20.
NUMBER_TEXTS = [
    (1e21, "1e+21"),
    (0.000001, "0.000001"),
    (1.5e-7, "1.5e-7"),
    (123.456, "123.456"),
    (-0.5, "-0.5"),
    (100.0, "100"),
    (1e20, "100000000000000000000"),
    (12345678901234567890123, "1.2345678901234568e+22"),
    (5e-324, "5e-324"),
    (0.1 + 0.2, "0.30000000000000004"),
]


@pytest.mark.parametrize("number, text", NUMBER_TEXTS)
def test_format_number_matches_v8(number, text):
    assert format_number(number) == text


def test_own_keys_integer_like_first():
    assert own_keys({"b": 1, "10": 2, "a": 3, "2": 4, "01": 5}) == ["2", "10", "b", "a", "01"]


def test_own_keys_of_string_and_list():
    assert own_keys("ab") == ["0", "1"]
    assert own_keys([7]) == ["0"]
    assert own_keys(5) == []


@pytest.mark.parametrize("value", [0, 0.0, "", None, UNDEFINED, False, float("nan")])
def test_falsy_values(value):
    assert not truthy(value)


@pytest.mark.parametrize("value", ["0", "false", [], {}, -1, 0.1, True])
def test_truthy_values(value):
    assert truthy(value)


def test_get_property_of_null_raises_like_v8():
    with pytest.raises(JsError, match=r"^Cannot read properties of null \(reading 'name'\)$"):
        get_property(None, "name")


def test_to_js_string_of_values():
    assert to_js_string(None) == "null"
    assert to_js_string(UNDEFINED) == "undefined"
    assert to_js_string([1, None, "a"]) == "1,,a"
    assert to_js_string({"a": 1}) == "[object Object]"


def test_to_json_value_drops_undefined_members():
    assert to_json_value({"a": UNDEFINED, "b": [UNDEFINED, 1.0]}) == {"b": [None, 1]}


def test_dumps_dates_and_order():
    assert dumps({"b": JsDate(0), "1": "x"}) == '{"1":"x","b":"1970-01-01T00:00:00.000Z"}'


def test_invalid_date_serialises_as_null():
    assert dumps([JsDate(None)]) == "[null]"


def test_iso_format_of_extended_years():
    assert format_iso_millis(-62198755200000) == "-000001-01-01T00:00:00.000Z"
    assert format_iso_millis(253402300800000) == "+010000-01-01T00:00:00.000Z"
