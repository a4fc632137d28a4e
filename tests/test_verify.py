"""Verification of observed pages against the destination and tag models (pure, no browser)."""

from __future__ import annotations

import json
from urllib.parse import urlencode

from harness.settings import load_settings
from harness.sites import Expectation
from harness.tag import hash_identity
from harness.verify import PageObservation, SegmentMessage, check_expectation, message_from_payload, verify_run
from harness.wire import decode_request

TID = "2612345678901"
EMAIL = "ada@example.com"
SETTINGS = load_settings({"tid": TID, "pinterestEventMapping": {"Signed Up": "Signup"}})


def beacon(event, ed=None, pd=None):
    params = {"tid": TID, "event": event, "cb": "1700000000000"}
    if ed is not None:
        params["ed"] = json.dumps(ed)
    if pd is not None:
        params["pd"] = json.dumps(pd)
    return decode_request("https://ct.pinterest.com/v3/?" + urlencode(params))


def track(event, properties=None, message_id="ajs-1"):
    return {"type": "track", "event": event, "properties": properties or {}, "messageId": message_id}


def signup_page(signup_event_seen="Signup"):
    em = {"np": "segment", "em": hash_identity(EMAIL)}
    return PageObservation(
        index=0,
        url="https://shop.example/signup",
        stored_traits=None,
        segment_calls=[
            SegmentMessage({"type": "identify", "userId": "u1", "traits": {"email": EMAIL}, "messageId": "ajs-1"}, "step 3 (click #signup-submit)"),
            SegmentMessage(track("Signed Up", {"method": "email"}, "ajs-2"), "step 3 (click #signup-submit)"),
        ],
        tag_requests=[beacon("init"), beacon(signup_event_seen, {}, em)],
    )


def test_signup_page_passes():
    [result] = verify_run(SETTINGS, [signup_page()])
    assert result.match.ok
    assert [verdict.status for verdict in result.match.verdicts] == ["pass", "pass"]


def test_wrong_mapping_names_step_event_field():
    [result] = verify_run(SETTINGS, [signup_page(signup_event_seen="Lead")])
    [failure] = result.match.failures
    assert "step 3 (click #signup-submit)" in failure.expected.origin
    assert "track \"Signed Up\"" in failure.expected.origin
    assert "event" in failure.reason
    assert "Signup" in failure.reason


def test_missing_em_after_identify_explains_why():
    page = signup_page()
    page.tag_requests[1] = beacon("Signup", {})
    [result] = verify_run(SETTINGS, [page])
    [failure] = result.match.failures
    assert "em expected" in failure.reason
    assert "step 3 (click #signup-submit)" in failure.reason


def test_no_em_on_next_page_without_enhanced_match_load():
    page = PageObservation(1, "https://shop.example/cart", {"email": EMAIL}, [SegmentMessage({"type": "page", "properties": {}, "messageId": "ajs-3"}, "step 4")], [])
    page.tag_requests = [beacon("init"), beacon("PageVisit", {"name": ""})]
    [result] = verify_run(SETTINGS, [page])
    assert result.match.ok


def test_em_on_next_page_with_enhanced_match_load():
    settings = load_settings({"tid": TID, "useEnhancedMatchLoad": True})
    em = {"em": hash_identity(EMAIL)}
    page = PageObservation(1, "https://shop.example/cart", {"email": EMAIL}, [SegmentMessage({"type": "page", "properties": {}, "messageId": "ajs-3"}, "step 4")], [])
    page.tag_requests = [beacon("init", pd=em), beacon("PageVisit", {"name": ""})]
    [result] = verify_run(settings, [page])
    [failure] = result.match.failures
    assert failure.expected.event == "PageVisit"
    assert "em expected" in failure.reason


def test_unexpected_request_reported():
    page = signup_page()
    page.tag_requests.append(beacon("Lead", {}))
    [result] = verify_run(SETTINGS, [page])
    assert [verdict.status for verdict in result.match.verdicts][-1] == "unexpected"


def test_message_from_segment_payload():
    payload = {"type": "track", "event": "Order Completed", "properties": {"value": 1}, "messageId": "ajs-9", "context": {}, "writeKey": "k"}
    assert message_from_payload(payload) == {"type": "track", "event": "Order Completed", "properties": {"value": 1}, "messageId": "ajs-9"}


def test_message_from_other_payload_is_none():
    assert message_from_payload({"type": "group", "groupId": "g"}) is None
    assert message_from_payload("not json") is None


def test_expectation_subset_passes():
    request = beacon("Checkout", {"value": 10, "currency": "USD", "order_id": "o1"})
    outcome = check_expectation("step 2", Expectation("checkout", {"value": 10.0, "currency": "USD"}, "absent"), [request])
    assert outcome.passed


def test_expectation_wrong_value_reason():
    request = beacon("Checkout", {"value": 10, "currency": "USD"})
    outcome = check_expectation("step 2", Expectation("Checkout", {"currency": "EUR"}), [request])
    assert not outcome.passed
    assert outcome.reason == 'step 2: Checkout: ed.currency: expected "EUR", observed "USD"'


def test_expectation_em_expected_reason():
    outcome = check_expectation("step 2", Expectation("Checkout", {}, "expected"), [beacon("Checkout", {})])
    assert outcome.reason == "step 2: Checkout: em expected, but pd has no em"


def test_expectation_event_not_seen():
    outcome = check_expectation("step 2", Expectation("Lead"), [beacon("Signup", {})])
    assert outcome.reason == "step 2: expected event Lead, observed Signup"


def test_partner_defined_expectation_exact_case():
    outcome = check_expectation("step 1", Expectation("newsletter signup"), [beacon("Newsletter Signup", {})])
    assert not outcome.passed
