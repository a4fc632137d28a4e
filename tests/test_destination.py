"""Quirks of the destination model, one named test each, beyond the recorded cases."""

from __future__ import annotations

import pytest

from harness.destination import identify_email, run_destination
from harness.settings import Settings, SettingsError, load_settings

TID = "2620795819800"


def make_settings(**overrides):
    raw = {"tid": TID, "pinterestEventMapping": {}, "pinterestCustomProperties": [], "useEnhancedMatchLoad": False, "mapMessageIdToEventId": False}
    raw.update(overrides)
    return load_settings(raw)


def call_commands(calls, stored_traits=None, timezone_offset_minutes=0, **overrides):
    """Return the commands made after initialize, one list per call."""
    result = run_destination(make_settings(**overrides), stored_traits, calls, timezone_offset_minutes)
    return result.commands_by_call[1:]


def track(event, properties=None, message_id="ajs-1"):
    return {"type": "track", "event": event, "properties": properties or {}, "messageId": message_id}


def sent_event(event, **overrides):
    [[command]] = call_commands([track(event)], **overrides)
    return command[1]


@pytest.mark.parametrize(
    "event, expected",
    [
        ("Completed Order Now", "Checkout"),
        ("Completed Orders", "Checkout"),
        ("order_completed", "Checkout"),
        ("OrderCompleted", "Checkout"),
        ("Order Completed Now", "Order Completed Now"),
        ("My Order Completed", "My Order Completed"),
        ("Order-Completed", "Order-Completed"),
        ("  Order Completed", "  Order Completed"),
        ("Product Searched", "Product Searched"),
        ("product_list_filtered", "Search"),
        ("Video Playback Started", "WatchVideo"),
    ],
)
def test_built_in_event_pattern(event, expected):
    assert sent_event(event) == expected


def test_event_pattern_trailing_newline():
    # JavaScript's `$` does not match before a final newline, unlike Python's.
    assert sent_event("Order Completed\n") == "Order Completed\n"


def test_event_pattern_folds_ascii_only():
    # U+017F LATIN SMALL LETTER LONG S folds to "s" in Python's Unicode matching, never in JavaScript's.
    assert sent_event("Products Searched".replace("S", "\u017f", 1)) != "Search"


def test_mapping_integer_keys_walked_first():
    mapping = {"Order Completed": "Lead", "0": "Custom"}
    assert sent_event("Order Completed", pinterestEventMapping=mapping) == "Lead"


def test_mapping_first_key_ignoring_case_wins():
    mapping = {"order completed": "Lead", "ORDER COMPLETED": "Signup"}
    assert sent_event("Order Completed", pinterestEventMapping=mapping) == "Lead"


def test_mapping_empty_value_skips_built_in():
    assert sent_event("Order Completed", pinterestEventMapping={"Order Completed": ""}) == "Order Completed"


def test_numeric_event_without_mapping_sent_as_number():
    [[command]] = call_commands([track(42)])
    assert command == ["track", 42, {}]


def test_numeric_event_with_mapping_throws():
    result = run_destination(make_settings(pinterestEventMapping={"A": "Lead"}), None, [track(42)])
    assert result.commands_by_call[1] == []
    assert result.errors == [{"call": 0, "error": "segmentEvent.toLowerCase is not a function"}]


def test_custom_properties_string_walked_by_character():
    settings = load_settings({"tid": TID, "pinterestCustomProperties": "ab"})
    result = run_destination(settings, None, [track("X", {"a": 1, "b": 2, "ab": 3})])
    assert result.commands_by_call[1] == [["track", "X", {"a": 1, "b": 2}]]
    assert any("character by character" in warning for warning in settings.warnings)


def test_custom_property_flat_dotted_key_first_wins():
    properties = {"address.city": "Lyon", "address": {"city": "Paris"}}
    [[command]] = call_commands([track("X", properties)], pinterestCustomProperties=["address.city"])
    assert command[2] == {"address.city": "Lyon"}


def test_custom_property_walk_never_backtracks():
    properties = {"address": {"zip": "75001"}, "address.city": "Lyon"}
    [[command]] = call_commands([track("X", properties)], pinterestCustomProperties=["address.city"])
    assert command[2] == {}


def test_custom_property_named_value_keeps_mapped_position():
    [[command]] = call_commands([track("X", {"value": 5, "currency": "EUR"})], pinterestCustomProperties=["currency", "value"])
    assert list(command[2]) == ["value", "currency"]


def test_products_holes_and_trailing_empty_items():
    products = [{"sku": "a"}, {"other": 1}, {"price": 3}, {}, "text"]
    [[command]] = call_commands([track("Order Completed", {"products": products})])
    assert command[2] == {"line_items": [{"product_id": "a"}, None, {"product_price": 3}]}


def test_products_not_array_falls_back_to_top_level():
    [[command]] = call_commands([track("X", {"products": {"sku": "a"}, "SKU": "b", "Price": 9})])
    assert command[2] == {"line_items": [{"product_id": "b", "product_price": 9}]}


def test_date_with_space_uses_browser_timezone():
    calls = [track("X", {"value": "2024-01-02 10:00"})]
    [[command]] = call_commands(calls, timezone_offset_minutes=-120)
    assert command[2] == {"value": "2024-01-02T08:00:00.000Z"}


def test_date_fields_overflow_like_date_utc():
    [[command]] = call_commands([track("X", {"value": "2024-13-32T25:61:00Z"})])
    assert command[2] == {"value": "2025-02-02T02:01:00.000Z"}


def test_two_digit_year_is_nineteen_hundreds():
    [[command]] = call_commands([track("X", {"value": "0050-01-01"})])
    assert command[2] == {"value": "1950-01-01T00:00:00.000Z"}


def test_date_needs_full_date_prefix():
    [[command]] = call_commands([track("X", {"value": "2024-01", "currency": "2024-01-02x"})])
    assert command[2] == {"value": "2024-01", "currency": "2024-01-02x"}


def test_date_fraction_truncated_to_milliseconds():
    [[command]] = call_commands([track("X", {"value": "2024-01-02T03:04:05.98765+01:30"})])
    assert command[2] == {"value": "2024-01-02T01:34:05.987Z"}


def test_identify_email_from_trait_any_casing():
    assert identify_email({"type": "identify", "traits": {"E-Mail": "a@b.co"}}) == "a@b.co"


def test_identify_email_address_trait_ignored():
    call = {"type": "identify", "userId": "42", "traits": {"emailAddress": "a@b.co"}}
    assert call_commands([call]) == [[]]


def test_identify_user_id_email_fallback_unanchored():
    call = {"type": "identify", "userId": "user a@b.co x", "traits": {}}
    assert call_commands([call]) == [[["set", {"np": "segment", "em": "user a@b.co x"}]]]


def test_load_email_exact_key_only():
    result = run_destination(make_settings(useEnhancedMatchLoad=True), {"EMAIL": "a@b.co"}, [])
    assert result.commands == [["load", TID], ["page"]]


def test_page_category_in_properties_ignored():
    call = {"type": "page", "name": "Shoes", "properties": {"category": "Footwear"}, "messageId": "ajs-2"}
    assert call_commands([call]) == [[["track", "PageVisit", {"name": "Shoes"}]]]


def test_empty_tid_holds_every_call():
    result = run_destination(make_settings(tid=""), None, [track("Order Completed")])
    assert result.commands == []
    assert result.calls[0].note.startswith("held by analytics.js")


def test_settings_reject_numeric_tid():
    with pytest.raises(SettingsError, match=r"profile.yaml: tid: expected the tag id as a string, got 2620795819800 \(a number\)"):
        load_settings({"tid": 2620795819800}, "profile.yaml")


def test_settings_reject_string_flag():
    with pytest.raises(SettingsError, match=r"useEnhancedMatchLoad: expected true or false, got \"true\" \(a string\)"):
        load_settings({"tid": TID, "useEnhancedMatchLoad": "true"})


def test_settings_warn_list_mapping():
    settings = load_settings({"tid": TID, "pinterestEventMapping": [{"key": "Signed Up", "value": "Signup"}]})
    assert any("given as a list" in warning for warning in settings.warnings)


def test_settings_warn_unknown_key():
    settings = load_settings({"tid": TID, "tagId": "1"})
    assert settings.warnings == ["settings: tagId: unknown setting, ignored (the destination reads tid, pinterestEventMapping, pinterestCustomProperties, useEnhancedMatchLoad, mapMessageIdToEventId)"]


def test_settings_defaults():
    settings = load_settings({"tid": TID})
    assert settings == Settings(tid=TID)
