"""Tests for matching expected events against observed requests, reason texts included."""

from __future__ import annotations

import hashlib

import pytest

from harness.compare import MatchOptions
from harness.jsvalue import UNDEFINED
from harness.matching import match_page, match_pages
from harness.tag import encode_page, encode_pages
from harness.wire import TagRequest

TID = "2612345678901"
EMAIL_HASH = hashlib.sha256(b"jane@example.com").hexdigest()
OTHER_HASH = hashlib.sha256(b"someone@example.com").hexdigest()

# Steps of a typical journey, labelled as a site profile would label them.
JOURNEY = [
    (["load", TID], "page load at step 1"),
    (["page"], "page load at step 1"),
    (["set", {"np": "segment", "em": "Jane@Example.com"}], "identify with an email at step 2"),
    (["track", "Checkout", {"value": "10.50", "order_id": "o1"}], "track 'Order Completed' at step 3"),
]


def journey(*extra):
    steps = JOURNEY + list(extra)
    page = encode_page([command for command, _ in steps], labels=[label for _, label in steps])
    return page.events


def request(event, endpoint="v3", tid=TID, **fields):
    fields.setdefault("ad", {"loc": "http://127.0.0.1/"})
    fields.setdefault("cb", 1700000000000)
    return TagRequest(method="GET", url=f"https://ct.pinterest.com/{endpoint}/", endpoint=endpoint, pinterest=True, event=event, tid=tid, **fields)


def init_request(**fields):
    return request("init", **fields)


def checkout_request(event="checkout", **fields):
    fields.setdefault("ed", {"value": 10.5, "order_id": "o1"})
    fields.setdefault("pd", {"np": "segment", "em": EMAIL_HASH})
    return request(event, **fields)


def user_request(dep="2,PAGE_LOAD"):
    return request(None, endpoint="user", params={"dep": dep})


def reasons(result):
    return [verdict.reason for verdict in result.verdicts]


# Passing matches


def test_journey_passes():
    result = match_page(journey(), [user_request(), init_request(), checkout_request()])
    assert result.ok


def test_pass_reason():
    result = match_page(journey(), [init_request(), checkout_request()])
    assert reasons(result) == [
        'event "init" matches page load at step 1',
        """event "checkout" matches track 'Order Completed' at step 3""",
    ]


def test_standard_name_ignores_case():
    result = match_page(journey(), [request("INIT"), checkout_request(event="Checkout")])
    assert result.ok


def test_numbers_by_value():
    result = match_page(journey(), [init_request(), checkout_request(ed={"value": 10.50, "order_id": "o1"})])
    assert result.ok


def test_integer_equals_float():
    events = encode_page([["load", TID], ["track", "Checkout", {"value": 10}]]).events
    result = match_page(events, [checkout_request(ed={"value": 10.0}, pd={})])
    assert result.ok


def test_empty_ed_equals_no_ed():
    events = encode_page([["load", TID], ["track", "Lead", {}]]).events
    result = match_page(events, [request("lead")])
    assert result.ok


def test_tag_partner_keys_ignored():
    pd = {"np": "segment", "em": EMAIL_HASH, "pin_unauth": "x", "epik": "y", "derived_epik": "z", "aem_eligible_list": ["em"]}
    result = match_page(journey(), [init_request(pd={"np": "gtm"}), checkout_request(pd=pd)])
    assert result.ok


def test_tag_params_ignored():
    result = match_page(journey(), [init_request(params={"dep": "4,TAGS_RECEIVED", "stc": "true"}), checkout_request()])
    assert result.ok


def test_missing_ad_and_cb_ignored():
    result = match_page(journey(), [init_request(ad=None, cb=None), checkout_request()])
    assert result.ok


# Failures, with their reasons


def test_partner_name_exact():
    events = encode_page([["load", TID], ["track", "Order Completed", {}]], labels=["load", "step 2"]).events
    result = match_page(events, [request("order completed")])
    assert reasons(result) == [
        'event "order completed" for step 2 differs: event: expected "Order Completed" exactly (a partner-defined name), observed "order completed"'
    ]


def test_standard_name_differs():
    events = encode_page([["load", TID], ["track", "Checkout", {}]], labels=["load", "step 2"]).events
    result = match_page(events, [request("addtocart")])
    assert reasons(result) == [
        'event "addtocart" for step 2 differs: event: expected "Checkout" (a standard name, any letter case), observed "addtocart"'
    ]


def test_event_name_absent():
    events = encode_page([["load", TID], ["track", None, {}]], labels=["load", "step 2"]).events
    result = match_page(events, [request("lead")])
    assert reasons(result) == ['event "lead" for step 2 differs: event: expected no event parameter, observed "lead"']


def test_tid_differs():
    result = match_page(journey(), [init_request(tid="999"), checkout_request()])
    assert result.verdicts[0].reason == 'event "init" for page load at step 1 differs: tid: expected "2612345678901", observed "999"'


def test_value_string_fails():
    result = match_page(journey(), [init_request(), checkout_request(ed={"value": "10.50", "order_id": "o1"})])
    assert [difference.reason for difference in result.verdicts[1].differences] == ['ed.value: expected 10.5, observed "10.50"']


def test_boolean_is_not_number():
    events = encode_page([["load", TID], ["track", "Lead", {"flag": 1}]]).events
    result = match_page(events, [request("lead", ed={"flag": True})])
    assert [difference.reason for difference in result.verdicts[0].differences] == ["ed.flag: expected 1, observed true"]


def test_missing_key():
    result = match_page(journey(), [init_request(), checkout_request(ed={"value": 10.5})])
    assert [difference.reason for difference in result.verdicts[1].differences] == ['ed.order_id: missing, expected "o1"']


def test_missing_key_difference():
    result = match_page(journey(), [init_request(), checkout_request(ed={"value": 10.5})])
    difference = result.verdicts[1].differences[0]
    assert (difference.path, difference.expected, difference.observed) == ("ed.order_id", "o1", UNDEFINED)


def line_items_events():
    items = [{"product_id": "1", "product_price": 48}, {"product_id": "2", "product_price": 68}]
    return encode_page([["load", TID], ["track", "Checkout", {"line_items": items}]]).events


def test_line_items_item_differs():
    observed = [{"product_id": "1", "product_price": 48}, {"product_id": "2", "product_price": 86}]
    result = match_page(line_items_events(), [request("checkout", ed={"line_items": observed})])
    assert [difference.reason for difference in result.verdicts[0].differences] == [
        "ed.line_items[1].product_price: expected 68, observed 86"
    ]


def test_line_items_missing_item():
    observed = [{"product_id": "1", "product_price": 48}]
    result = match_page(line_items_events(), [request("checkout", ed={"line_items": observed})])
    assert [difference.reason for difference in result.verdicts[0].differences] == [
        'ed.line_items[1]: missing item, expected {"product_id":"2","product_price":68}'
    ]


def test_line_items_extra_item():
    observed = [{"product_id": "1", "product_price": 48}, {"product_id": "2", "product_price": 68}, None]
    result = match_page(line_items_events(), [request("checkout", ed={"line_items": observed})])
    assert [difference.reason for difference in result.verdicts[0].differences] == ["ed.line_items[2]: extra item, observed null"]


def test_nested_dict_differs():
    events = encode_page([["load", TID], ["track", "Lead", {"meta": {"a": {"b": 1}}}]]).events
    result = match_page(events, [request("lead", ed={"meta": {"a": {"b": 2}}})])
    assert [difference.reason for difference in result.verdicts[0].differences] == ["ed.meta.a.b: expected 1, observed 2"]


def test_fail_reason_joins_differences():
    result = match_page(journey(), [init_request(), checkout_request(ed={"value": 1, "order_id": "o2"})])
    assert result.verdicts[1].reason == (
        """event "checkout" for track 'Order Completed' at step 3 differs: """
        'ed.value: expected 10.5, observed 1; ed.order_id: expected "o1", observed "o2"'
    )


def test_undecodable_ed():
    bad = checkout_request(ed=None, raw={"ed": '{"value":10.5'}, problems=["ed: invalid JSON"])
    result = match_page(journey(), [init_request(), bad])
    assert [difference.reason for difference in result.verdicts[1].differences] == [
        'ed: not valid JSON, so it cannot be compared (raw text "{\\"value\\":10.5")'
    ]


def test_decode_problem_noted():
    bad = checkout_request(ed=None, raw={"ed": "{"}, problems=["ed: invalid JSON"])
    result = match_page(journey(), [init_request(), bad])
    assert result.verdicts[1].notes == ["decode problem: ed: invalid JSON"]


# Enhanced match


def test_em_expected_absent():
    result = match_page(journey(), [init_request(), checkout_request(pd={"np": "segment"})])
    assert [difference.reason for difference in result.verdicts[1].differences] == [
        "em expected: identify with an email at step 2, but pd has no em"
    ]


def test_em_expected_wrong_hash():
    result = match_page(journey(), [init_request(), checkout_request(pd={"np": "segment", "em": OTHER_HASH})])
    assert [difference.reason for difference in result.verdicts[1].differences] == [
        f'em expected: identify with an email at step 2, but pd.em is "{OTHER_HASH}" instead of "{EMAIL_HASH}"'
    ]


def test_em_not_expected():
    result = match_page(journey(), [init_request(pd={"em": EMAIL_HASH}), checkout_request()])
    assert [difference.reason for difference in result.verdicts[0].differences] == [
        f'em not expected: no load or set gave em on this page before page load at step 1, but pd.em is "{EMAIL_HASH}"'
    ]


def test_em_persists_on_later_events():
    lead = (["track", "Lead", {}], "track 'Signed Up' at step 4")
    result = match_page(journey(lead), [init_request(), checkout_request(), request("lead", pd={"np": "segment"})])
    assert [difference.reason for difference in result.verdicts[2].differences] == [
        "em expected: identify with an email at step 2, but pd has no em"
    ]


def test_np_compared_when_expected():
    result = match_page(journey(), [init_request(), checkout_request(pd={"np": "gtm", "em": EMAIL_HASH})])
    assert [difference.reason for difference in result.verdicts[1].differences] == ['pd.np: expected "segment", observed "gtm"']


def test_plain_email_masked_in_reason():
    events = encode_page([["load", TID], ["track", "Lead", {"contact": "jane@example.com"}]]).events
    result = match_page(events, [request("lead", ed={"contact": "Jane@Example.com"})])
    assert "@" not in result.verdicts[0].reason


def test_plain_email_shown_as_hash():
    events = encode_page([["load", TID], ["track", "Lead", {"contact": "jane@example.com"}]]).events
    result = match_page(events, [request("lead", ed={"contact": "jane@example.com"})])
    assert EMAIL_HASH in result.verdicts[0].differences[0].reason


# Default mode versus strict mode


def test_extra_ed_key_noted():
    result = match_page(journey(), [init_request(), checkout_request(ed={"value": 10.5, "order_id": "o1", "np": "gtm"})])
    assert result.verdicts[1].notes == ['ed.np: not expected, observed "gtm" (ignored outside strict mode)']


def test_extra_ed_key_passes():
    result = match_page(journey(), [init_request(), checkout_request(ed={"value": 10.5, "order_id": "o1", "np": "gtm"})])
    assert result.ok


def test_strict_extra_ed_key():
    observed = [init_request(), checkout_request(ed={"value": 10.5, "order_id": "o1", "np": "gtm"})]
    result = match_page(journey(), observed, MatchOptions(strict=True))
    assert [difference.reason for difference in result.verdicts[1].differences] == ['ed.np: not expected, observed "gtm"']


def test_strict_tag_partner_key():
    observed = [init_request(pd={"pin_unauth": "x"}), checkout_request()]
    result = match_page(journey(), observed, MatchOptions(strict=True))
    assert [difference.reason for difference in result.verdicts[0].differences] == ['pd.pin_unauth: not expected, observed "x"']


def test_strict_dep_param():
    observed = [init_request(params={"dep": "4,TAGS_RECEIVED"}), checkout_request()]
    result = match_page(journey(), observed, MatchOptions(strict=True))
    assert [difference.reason for difference in result.verdicts[0].differences] == [
        'params.dep: not expected, observed "4,TAGS_RECEIVED"'
    ]


def test_strict_requires_ad_and_cb():
    observed = [init_request(ad=None, cb=None), checkout_request()]
    result = match_page(journey(), observed, MatchOptions(strict=True))
    assert [difference.path for difference in result.verdicts[0].differences] == ["ad", "cb"]


def test_strict_journey_passes():
    result = match_page(journey(), [init_request(), checkout_request()], MatchOptions(strict=True))
    assert result.ok


# Missing and unexpected requests


def test_missing_event():
    result = match_page(journey(), [init_request()])
    assert reasons(result)[1] == """missing: no request for event "Checkout" from track 'Order Completed' at step 3"""


def test_missing_status():
    result = match_page(journey(), [init_request()])
    assert [verdict.status for verdict in result.verdicts] == ["pass", "missing"]


def test_unexpected_request():
    result = match_page(journey(), [init_request(), checkout_request(), request("lead", tid="777")])
    assert reasons(result)[2] == 'unexpected: event "lead" (tid "777") matches no expected event'


def test_unexpected_listed():
    stray = request("lead", tid="777")
    result = match_page(journey(), [init_request(), checkout_request(), stray])
    assert result.unexpected == [stray]


def test_unexpected_fails():
    result = match_page(journey(), [init_request(), checkout_request(), request("lead", tid="777")])
    assert not result.ok


def test_nothing_observed():
    result = match_page(journey(), [])
    assert [verdict.status for verdict in result.verdicts] == ["missing", "missing"]


def test_nothing_expected():
    result = match_page([], [init_request()])
    assert [verdict.status for verdict in result.verdicts] == ["unexpected"]


def test_wrong_name_paired_not_missing():
    result = match_page(journey(), [init_request(), checkout_request(event="Order Completed")])
    assert [verdict.status for verdict in result.verdicts] == ["pass", "fail"]


def test_other_tid_not_paired_by_position():
    result = match_page(journey(), [init_request(), request("lead", tid="777")])
    assert [verdict.status for verdict in result.verdicts] == ["pass", "missing", "unexpected"]


def test_other_requests_kept():
    script = TagRequest(method="GET", url="https://s.pinimg.com/ct/core.js", endpoint="other", pinterest=True)
    result = match_page(journey(), [script, init_request(), checkout_request()])
    assert result.other_requests == [script]


def test_other_requests_not_failures():
    script = TagRequest(method="GET", url="https://s.pinimg.com/ct/core.js", endpoint="other", pinterest=True)
    result = match_page(journey(), [script, init_request(), checkout_request()])
    assert result.ok


# Ordering


def test_interleaved_user_request():
    result = match_page(journey(), [init_request(), user_request("5,EVENT_TAGS_ABSENT"), checkout_request()])
    assert result.ok


def test_out_of_order_arrival():
    result = match_page(journey(), [checkout_request(), init_request()])
    assert result.ok


def test_same_name_out_of_order():
    big = {"order_id": "big", "line_items": [{"product_id": str(index)} for index in range(3)]}
    commands = [["load", TID], ["track", "Checkout", big], ["track", "Checkout", {"order_id": "small"}]]
    events = encode_page(commands).events
    observed = [request("checkout", ed={"order_id": "small"}), request("checkout", ed=big)]
    result = match_page(events, observed)
    assert result.ok


def test_same_name_pairs_in_order():
    commands = [["load", TID], ["track", "Checkout", {"order_id": "a"}], ["track", "Checkout", {"order_id": "b"}]]
    events = encode_page(commands).events
    first, second = request("checkout", ed={"order_id": "x"}), request("checkout", ed={"order_id": "y"})
    result = match_page(events, [first, second])
    assert [verdict.observed for verdict in result.verdicts] == [first, second]


# The /user/ request


def test_user_request_not_unexpected():
    result = match_page(journey(), [user_request(), init_request(), checkout_request()])
    assert [verdict.status for verdict in result.verdicts] == ["pass", "pass"]


def test_user_requests_kept_visible():
    user = user_request()
    result = match_page(journey(), [user, init_request(), checkout_request()])
    assert result.user_requests == [user]


def test_check_user_requests_pairs():
    user = user_request()
    result = match_page(journey(), [user, init_request(), checkout_request()], MatchOptions(check_user_requests=True))
    assert [verdict.observed for verdict in result.verdicts][0] is user


def test_check_user_requests_passes():
    observed = [user_request("4,TAGS_RECEIVED"), user_request(), init_request(), checkout_request()]
    result = match_page(journey(), observed, MatchOptions(check_user_requests=True))
    assert result.ok


def test_check_user_requests_leftover_visible():
    extra = user_request("4,TAGS_RECEIVED")
    observed = [extra, user_request(), init_request(), checkout_request()]
    result = match_page(journey(), observed, MatchOptions(check_user_requests=True))
    assert result.user_requests == [extra]


def test_check_user_requests_missing():
    result = match_page(journey(), [init_request(), checkout_request()], MatchOptions(check_user_requests=True))
    assert reasons(result)[0] == 'missing: no request for /user/ request (dep "2,PAGE_LOAD") from page load at step 1'


def test_check_user_requests_wrong_dep():
    observed = [user_request("4,TAGS_RECEIVED"), init_request(), checkout_request()]
    result = match_page(journey(), observed, MatchOptions(check_user_requests=True))
    assert [difference.reason for difference in result.verdicts[0].differences] == [
        'dep: expected "2,PAGE_LOAD", observed "4,TAGS_RECEIVED"'
    ]


# Sequences of pages


def two_pages():
    pages = [[["load", TID], ["page"], ["set", {"em": "jane@example.com"}], ["track", "Lead", {}]], [["load", TID], ["page"]]]
    return [page.events for page in encode_pages(pages)]


def test_pages_pass():
    observed = [[init_request(), request("lead", pd={"em": EMAIL_HASH})], [init_request()]]
    result = match_pages(two_pages(), observed)
    assert result.ok


def test_pages_em_reset():
    observed = [[init_request(), request("lead", pd={"em": EMAIL_HASH})], [init_request(pd={"em": EMAIL_HASH})]]
    result = match_pages(two_pages(), observed)
    assert [difference.path for difference in result.verdicts[2].differences] == ["pd.em"]


def test_pages_never_pair_across():
    observed = [[init_request(), init_request(), request("lead", pd={"em": EMAIL_HASH})], []]
    result = match_pages(two_pages(), observed)
    assert [(verdict.page, verdict.status) for verdict in result.verdicts] == [
        (0, "pass"),
        (0, "pass"),
        (0, "unexpected"),
        (1, "missing"),
    ]


def test_pages_count_checked():
    with pytest.raises(ValueError, match="expected events cover 2 pages but observed requests cover 1"):
        match_pages(two_pages(), [[init_request()]])
