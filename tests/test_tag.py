"""Tests for the tag model: each rule of the tag's wire behaviour as a named case."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from harness.jsvalue import UNDEFINED, JsDate
from harness.tag import (
    PAGE_LOAD_DEP,
    encode_page,
    encode_pages,
    hash_identity,
    normalise_partner_data,
    numeric_value,
)

VECTORS = Path(__file__).resolve().parents[2] / "shared" / "vectors" / "segment-destination.jsonl"
TID = "2612345678901"
TEST_EMAIL_HASH = "973dfe463ec85785f5f95af5ba3906eedb2d931c24e69824a89ea65dba4e813b"
PLACEHOLDER_HASH = "24aba99b2defbb47ee981b4200313f61f3ae31541d8717bdac1e463c838939b0"
EMPTY_HASH = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def events_of(commands, **kwargs):
    return [event for event in encode_page(commands, **kwargs).events if event.endpoint == "v3"]


def track_event(name, data):
    return events_of([["load", TID], ["track", name, data]])[0]


def messages(commands):
    return [(message.level, message.text) for message in encode_page(commands).console]


# Identity hashing


def test_hash_trims_and_lowercases():
    assert hash_identity(" Test@Example.com ") == TEST_EMAIL_HASH


def test_hash_placeholder():
    assert hash_identity("<user_email_address>") == PLACEHOLDER_HASH


def test_hash_empty_string():
    assert hash_identity("") == EMPTY_HASH


@pytest.mark.parametrize("length", [32, 40, 64])
def test_hash_keeps_hex(length):
    digest = ("0123456789abcdef" * 4)[:length]
    assert hash_identity(digest) == digest


def test_hash_lowercases_hex():
    digest = "ABCDEF0123456789" * 4
    assert hash_identity(f" {digest} ") == digest.lower()


@pytest.mark.parametrize("length", [31, 33, 63])
def test_hash_other_hex_lengths(length):
    text = "a" * length
    assert hash_identity(text) == sha256(text)


def test_hash_number_uses_string():
    assert hash_identity(12345) == sha256("12345")


def test_hash_js_trim_keeps_file_separator():
    # U+001C is whitespace to Python's strip() but not to JavaScript's trim().
    assert hash_identity("\x1ca@b.co") == sha256("\x1ca@b.co")


def test_normalise_partner_data():
    data = {"np": "segment", "em": "A@B.com", "ph": " 555 ", "zp": UNDEFINED}
    assert normalise_partner_data(data) == {"np": "segment", "em": sha256("a@b.com"), "ph": sha256("555")}


# Commands


def test_command_name_trimmed_lowercased():
    events = events_of([[" LOAD ", TID], ["  Page\t"]])
    assert [event.event for event in events] == ["init"]


def test_unknown_command_warned():
    assert messages([["load", TID], ["identify", {}]]) == [
        ("warning", "'identify' is not a supported pintrk command, so the tag ignores it")
    ]


def test_unknown_command_sends_nothing():
    assert events_of([["load", TID], ["pageview"]]) == []


def test_load_remembers_tid():
    assert events_of([["load", TID], ["page"]])[0].tid == TID


def test_load_sends_nothing():
    assert encode_page([["load", TID, {"em": "a@b.co"}]]).events == []


def test_second_load_later_id_wins():
    events = events_of([["load", "111"], ["load", "222"], ["page"]])
    assert events[0].tid == "222"


def test_second_load_warns():
    assert messages([["load", "111"], ["load", "222"]]) == [
        ("warning", "load called again: tag id '222' replaces '111'")
    ]


def test_second_load_merges_partner_data():
    events = events_of([["load", "111", {"em": "a@b.co"}], ["load", "222", {"np": "x"}], ["page"]])
    assert events[0].pd == {"em": sha256("a@b.co"), "np": "x"}


def test_set_merges():
    events = events_of([["load", TID, {"em": "a@b.co"}], ["set", {"np": "segment"}], ["set", {"em": "c@d.co"}], ["page"]])
    assert events[0].pd == {"em": sha256("c@d.co"), "np": "segment"}


def test_set_undefined_removes_key():
    events = events_of([["load", TID, {"np": "x", "em": "a@b.co"}], ["set", {"np": UNDEFINED}], ["page"]])
    assert events[0].pd == {"em": sha256("a@b.co")}


def test_set_without_object_errors():
    assert messages([["load", TID], ["set", "a@b.co"]]) == [
        ("error", "set needs an object of partner data but got an email address, so nothing is merged")
    ]


def test_page_sends_init():
    events = events_of([["load", TID], ["page"]])
    assert [(event.event, event.ed) for event in events] == [("init", None)]


def test_page_before_load_sends_nothing():
    assert encode_page([["page"], ["load", TID]]).events == []


def test_page_before_load_errors():
    assert messages([["page"]]) == [("error", "page called before load: no tag id, so nothing is sent")]


def test_track_before_load_errors():
    assert messages([["track", "Lead"]]) == [("error", "track called before load: no tag id, so nothing is sent")]


# Event names


def test_track_name_case_kept():
    assert track_event("Checkout", {}).event == "Checkout"


def test_track_name_trimmed():
    assert track_event("  AddToCart \n", {}).event == "AddToCart"


@pytest.mark.parametrize("name", [None, UNDEFINED, ""])
def test_track_without_name(name):
    assert track_event(name, {}).event is None


def test_track_no_arguments():
    assert events_of([["load", TID], ["track"]])[0].event is None


@pytest.mark.parametrize(
    "name",
    ["pagevisit", "ViewCategory", "SEARCH", "addToCart", "checkout", "WatchVideo", "signup", "Lead", "custom", "ExternalMeasurement"],
)
def test_standard_name_not_warned(name):
    assert messages([["load", TID], ["track", name, {}]]) == []


def test_partner_defined_name_warned():
    assert messages([["load", TID], ["track", " Order Completed ", {}]]) == [
        ("warning", "'Order Completed' is not a standard Pinterest event, so it is sent as a partner-defined event")
    ]


def test_partner_defined_name_sent_unchanged():
    assert track_event("Order Completed", {}).event == "Order Completed"


def test_no_aliases():
    assert track_event("Purchase", {}).event == "Purchase"


# Event data


def test_ed_shallow_copy():
    data = {"order_id": "o1", "line_items": [{"product_id": "1"}]}
    event = track_event("Checkout", data)
    data["order_id"] = "changed"
    assert event.ed == {"order_id": "o1", "line_items": [{"product_id": "1"}]}


def test_ed_absent_without_data():
    assert events_of([["load", TID], ["track", "Lead"]])[0].ed is None


def test_ed_unknown_keys_pass_through():
    data = {"custom 1": "v", "line_items": [None, {"product_id": "2"}], "nested": {"a": 1}}
    assert track_event("Checkout", data).ed == data


@pytest.mark.parametrize(
    ("value", "number"),
    [("10.50", 10.5), (" 5 ", 5), ("-1e3", -1000), (".5", 0.5), ("+7", 7), (27.5, 27.5), (3, 3)],
)
def test_value_numeric_becomes_number(value, number):
    assert track_event("Checkout", {"value": value}).ed["value"] == number


def test_value_numeric_string_type():
    assert isinstance(track_event("Checkout", {"value": "10.50"}).ed["value"], float)


@pytest.mark.parametrize("value", ["abc", "0x10", "", "  ", "Infinity", "1e400", "1_000", "\u0661\u0662", True, None, {"amount": 5}])
def test_value_non_numeric_kept(value):
    assert track_event("Checkout", {"value": value}).ed["value"] == value


def test_value_non_numeric_logs_error():
    assert messages([["load", TID], ["track", "Checkout", {"value": "ten"}]]) == [
        ("error", "value 'ten' is not numeric, so it is sent unchanged")
    ]


def test_date_value_serialised():
    millis = datetime(2024, 5, 6, 5, 8, 9, tzinfo=timezone.utc).timestamp() * 1000
    assert track_event("Checkout", {"value": JsDate(millis)}).ed["value"] == "2024-05-06T05:08:09.000Z"


def test_date_value_not_numeric():
    commands = [["load", TID], ["track", "Checkout", {"value": JsDate(0)}]]
    assert [message.level for message in encode_page(commands).console] == ["error"]


def test_numeric_value_rejects_bool():
    assert numeric_value(False) is None


def test_order_quantity_untouched():
    assert track_event("Checkout", {"order_quantity": "1"}).ed["order_quantity"] == "1"


def test_order_quantity_non_numeric_logs_error():
    assert messages([["load", TID], ["track", "Checkout", {"order_quantity": "two"}]]) == [
        ("error", "order_quantity 'two' is not numeric")
    ]


def test_email_like_string_hashed():
    assert track_event("Lead", {"contact": " Test@Example.com "}).ed["contact"] == TEST_EMAIL_HASH


def test_non_email_strings_kept():
    data = {"handle": "@someone", "note": "a@b", "order_id": "o1"}
    assert track_event("Lead", data).ed == data


def test_nested_email_not_hashed():
    data = {"line_items": [{"product_name": "a@b.co"}]}
    assert track_event("Lead", data).ed == data


def test_external_id_moved_to_pd():
    event = track_event("Checkout", {"external_id": " User-42 ", "order_id": "o1"})
    assert event.pd == {"external_id": sha256("user-42")}


def test_external_id_removed_from_ed():
    event = track_event("Checkout", {"external_id": "u42", "order_id": "o1"})
    assert event.ed == {"order_id": "o1"}


def test_external_id_origin():
    event = track_event("Checkout", {"external_id": "u42"})
    assert event.pd_origins["external_id"] == "external_id in the event data of track('Checkout') (commands[1])"


# Partner data on the page


def test_em_persists_across_page():
    commands = [["load", TID], ["page"], ["set", {"np": "segment", "em": "a@b.co"}]]
    commands += [["track", "Lead", {}], ["track", "Checkout", {}], ["track", "Search", {}], ["page"]]
    events = events_of(commands)
    assert [event.pd.get("em") for event in events] == [None] + [sha256("a@b.co")] * 4


def test_em_from_load_on_init():
    events = events_of([["load", TID, {"em": " Test@Example.com "}], ["page"]])
    assert events[0].pd == {"em": TEST_EMAIL_HASH}


def test_em_origin_is_set_label():
    labels = ["load", "page", "identify with an email at step 3", "track at step 4"]
    commands = [["load", TID], ["page"], ["set", {"em": "a@b.co"}], ["track", "Lead", {}]]
    assert events_of(commands, labels=labels)[-1].em_origin == "identify with an email at step 3"


def test_em_origin_absent():
    assert events_of([["load", TID], ["page"]])[0].em_origin is None


def test_default_labels_hide_values():
    commands = [["load", TID], ["set", {"np": "segment", "em": "a@b.co"}], ["track", "Lead", {}]]
    assert events_of(commands)[0].em_origin == "set(np, em) (commands[1])"


def test_origin_is_label():
    events = events_of([["load", TID], ["track", "Lead", {}]], labels=["step 1", "step 2"])
    assert events[0].origin == "step 2"


def test_command_index():
    events = events_of([["load", TID], ["set", {}], ["track", "Lead", {}]])
    assert events[0].command_index == 2


def test_labels_length_checked():
    with pytest.raises(ValueError, match="labels has 1 entries for 2 pintrk commands"):
        encode_page([["load", TID], ["page"]], labels=["only one"])


def test_placeholder_warned():
    assert messages([["load", TID, {"em": "<user_email_address>"}]]) == [
        ("warning", "em is Pinterest's example placeholder '<user_email_address>', which is invalid")
    ]


def test_new_page_resets():
    pages = encode_pages([[["load", TID, {"em": "a@b.co"}], ["page"]], [["page"], ["load", TID], ["page"]]])
    second = [event for event in pages[1].events if event.endpoint == "v3"]
    assert [(event.event, event.pd) for event in second] == [("init", {})]


def test_new_page_logs_page_before_load():
    pages = encode_pages([[["load", TID], ["page"]], [["page"]]])
    assert [message.level for message in pages[1].console] == ["error"]


def test_pages_numbered():
    pages = encode_pages([[["load", TID], ["page"]], [["load", TID], ["page"]]])
    assert {event.page for event in pages[1].events} == {1}


def test_pages_default_label():
    pages = encode_pages([[["load", TID], ["page"]], [["load", TID], ["page"]]])
    assert pages[1].events[-1].origin == "page() (pages[1][1])"


# Consent


def test_setconsent_false_stops_sending():
    commands = [["load", TID], ["page"], ["setconsent", False], ["track", "Lead", {}], ["page"]]
    assert [event.event for event in events_of(commands)] == ["init"]


def test_setconsent_false_before_page():
    assert encode_page([["load", TID], ["setconsent", False], ["page"]]).events == []


def test_setconsent_true_keeps_sending():
    commands = [["load", TID], ["setconsent", True], ["page"]]
    assert [event.event for event in events_of(commands)] == ["init"]


# The /user/ request


def test_user_request_once_per_page():
    commands = [["load", TID, {"em": "a@b.co"}], ["page"], ["track", "Lead", {}]]
    users = [event for event in encode_page(commands).events if event.endpoint == "user"]
    assert [(user.dep, user.optional, user.pd) for user in users] == [(PAGE_LOAD_DEP, True, {"em": sha256("a@b.co")})]


def test_user_request_before_first_event():
    endpoints = [event.endpoint for event in encode_page([["load", TID], ["page"], ["track", "Lead"]]).events]
    assert endpoints == ["user", "v3", "v3"]


def test_user_request_each_page():
    pages = encode_pages([[["load", TID], ["page"]], [["load", TID], ["page"]]])
    assert [[event.endpoint for event in page.events] for page in pages] == [["user", "v3"], ["user", "v3"]]


# The recorded Segment destination cases


def load_cases():
    with VECTORS.open(encoding="utf-8") as stream:
        return [json.loads(line) for line in stream if line.strip()]


CASES = load_cases()


@pytest.mark.parametrize("case", CASES, ids=[case["id"] for case in CASES])
def test_vector_case_encodes(case):
    page = encode_page(case["pintrk"])
    sends = [command for command in case["pintrk"] if command[0] in ("page", "track")]
    assert len([event for event in page.events if event.endpoint == "v3"]) == len(sends)


@pytest.mark.parametrize("case", CASES, ids=[case["id"] for case in CASES])
def test_vector_case_em_on_later_events(case):
    expected_em = None
    seen = []
    expected = []
    page = encode_page(case["pintrk"])
    by_index = {event.command_index: event for event in page.events if event.endpoint == "v3"}
    for index, command in enumerate(case["pintrk"]):
        data = command[-1] if command[0] in ("load", "set") and isinstance(command[-1], dict) else {}
        if "em" in data:
            expected_em = sha256(str(data["em"]).strip().lower())
        if index in by_index:
            seen.append(by_index[index].pd.get("em"))
            expected.append(expected_em)
    assert seen == expected


@pytest.mark.parametrize("case", CASES, ids=[case["id"] for case in CASES])
def test_vector_case_track_names(case):
    page = encode_page(case["pintrk"])
    by_index = {event.command_index: event.event for event in page.events if event.endpoint == "v3"}
    for index, command in enumerate(case["pintrk"]):
        if command[0] == "track" and isinstance(command[1], str):
            assert by_index[index] == command[1].strip()


def test_vector_identify_then_track():
    case = next(case for case in CASES if case["id"] == "seq-identify-userid-email-then-track")
    checkout = events_of(case["pintrk"])[-1]
    assert checkout.pd == {"np": "segment", "em": sha256("jane@example.com")}


def test_vector_track_without_name():
    case = next(case for case in CASES if case["id"] == "unmapped-missing-event-no-mapping")
    assert events_of(case["pintrk"])[-1].event is None
