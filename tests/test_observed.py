"""Grouping observations by page load, choosing each page's model, and merging the proxy's requests."""

from __future__ import annotations

from harness.capture.call_log import PintrkCall
from harness.capture.page_loads import PageLoad
from harness.capture.routes import CapturedRequest, SegmentCall
from harness.compare import MatchOptions
from harness.observed import MODEL_BASE_CODE, MODEL_NONE, MODEL_SEGMENT, group_pages, merge_proxied, verify_pages
from harness.settings import load_settings
from harness.wire import decode_request

HOME = "https://shop.example/"
STORES = "https://shop.example/stores.html"
TAG_ID = "2613579246801"
INIT = f"https://ct.pinterest.com/v3/?tid={TAG_ID}&event=init&cb=1"
LEAD = f"https://ct.pinterest.com/v3/?tid={TAG_ID}&event=lead&cb=2"


def request(url: str, at: float, page_url: str | None, *, decode: bool = True) -> CapturedRequest:
    captured = CapturedRequest("GET", url, None, None, "image", page_url, page_url, at)
    if decode:
        captured.tag = decode_request(url)
        captured.tag.time = at
    return captured


def segment_call(payload: object, at: float, page_url: str) -> SegmentCall:
    return SegmentCall("t", payload, request("https://api.segment.io/v1/t", at, page_url, decode=False))


def loads() -> list[PageLoad]:
    return [PageLoad(HOME, 10.0, None, None), PageLoad(STORES, 20.0, None, None)]


def label(moment: float) -> str:
    return f"at {moment:g}"


def track(event: str, message_id: str) -> dict:
    return {"type": "track", "event": event, "properties": {}, "messageId": message_id}


def test_batch_payload_split() -> None:
    batch = {"batch": [track("Product Added", "m1"), track("Order Completed", "m2")]}
    pages = group_pages(loads(), [segment_call(batch, 11.0, HOME)], [], [], [], label)
    assert [call.message["event"] for call in pages[0].observation.segment_calls] == ["Product Added", "Order Completed"]
    assert [call.step for call in pages[0].observation.segment_calls] == ["at 11", "at 11"]


def test_retried_message_counted_once() -> None:
    calls = [segment_call(track("Order Completed", "m1"), 11.0, HOME), segment_call(track("Order Completed", "m1"), 21.0, STORES)]
    pages = group_pages(loads(), calls, [], [], [], label)
    assert len(pages[0].observation.segment_calls) == 1
    assert pages[1].observation.segment_calls == []


def test_models_chosen_per_page() -> None:
    segment_requests = [request("https://cdn.segment.com/v1/projects/k/settings", 11.0, HOME, decode=False)]
    calls = [PintrkCall(["load", TAG_ID], "call", True, STORES, True, 21.0)]
    pages = group_pages(loads() + [PageLoad("https://shop.example/about.html", 30.0, None, None)], [], segment_requests, [], calls, label)
    assert [page.model for page in pages] == [MODEL_SEGMENT, MODEL_BASE_CODE, MODEL_NONE]


def test_iframe_calls_not_base_code() -> None:
    calls = [PintrkCall(["load", TAG_ID], "call", True, STORES, False, 21.0)]
    pages = group_pages(loads(), [], [], [], calls, label)
    assert pages[1].model == MODEL_NONE


def test_base_code_page_verified_from_calls() -> None:
    calls = [
        PintrkCall(["load", TAG_ID, {"em": "<user_email_address>"}], "call", True, STORES, True, 20.5),
        PintrkCall(["page"], "call", True, STORES, True, 20.6),
        PintrkCall(["track", "lead", {"lead_type": "store visit"}], "call", False, STORES, True, 25.0),
    ]
    init = request(INIT + "&pd=%7B%22em%22%3A%2224aba99b2defbb47ee981b4200313f61f3ae31541d8717bdac1e463c838939b0%22%7D", 21.0, STORES)
    lead = request(LEAD + "&ed=%7B%22lead_type%22%3A%22store%20visit%22%7D&pd=%7B%22em%22%3A%2224aba99b2defbb47ee981b4200313f61f3ae31541d8717bdac1e463c838939b0%22%7D", 25.1, STORES)
    pages = group_pages(loads(), [], [], [init, lead], calls, label)
    [verification] = verify_pages(load_settings({"tid": TAG_ID}), [pages[1]], MatchOptions())
    assert [verdict.status for verdict in verification.match.verdicts] == ["pass", "pass"]
    assert verification.destination.initialize.note.startswith("no Segment request on this page")


def test_page_without_anything_expects_nothing() -> None:
    pages = group_pages(loads(), [], [], [request(INIT, 11.0, HOME)], [], label)
    [verification] = verify_pages(load_settings({"tid": TAG_ID}), [pages[0]], MatchOptions())
    assert verification.expected == []
    assert [verdict.status for verdict in verification.match.verdicts] == ["unexpected"]


def test_proxied_takes_browser_page_and_time() -> None:
    seen = [request(INIT, 11.0, HOME), request(LEAD, 21.0, STORES)]
    proxied = [decode_request(LEAD), decode_request(INIT)]
    for tag in proxied:
        tag.time = 99.0
    merged = merge_proxied([], seen, proxied)
    assert [(item.tag.event, item.page_url, item.time) for item in merged] == [("init", HOME, 11.0), ("lead", STORES, 21.0)]
    assert all(item.tag is tag for item, tag in zip(merged, reversed(proxied)))


def test_proxied_from_other_client_kept() -> None:
    proxied = decode_request(LEAD)
    proxied.time = 30.0
    [merged] = merge_proxied([], [request(INIT, 11.0, HOME)], [proxied])
    assert merged.page_url is None
    assert merged.time == 30.0


def test_browser_only_request_not_merged() -> None:
    # Seen by the browser but never by the proxy (CSP blocked it): not captured, as with routes.
    assert merge_proxied([], [request(INIT, 11.0, HOME)], []) == []


def test_identical_requests_claimed_in_order() -> None:
    seen = [request(INIT, 11.0, HOME), request(INIT, 21.0, STORES)]
    merged = merge_proxied([], seen, [decode_request(INIT), decode_request(INIT)])
    assert [item.page_url for item in merged] == [HOME, STORES]


def test_routed_requests_kept() -> None:
    script = request("https://s.pinimg.com/ct/core.js", 10.5, HOME)
    merged = merge_proxied([script], [request(INIT, 11.0, HOME)], [decode_request(INIT)])
    assert [item.url for item in merged] == ["https://s.pinimg.com/ct/core.js", INIT]
