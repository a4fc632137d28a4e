"""Group what a browser observed by page load, and verify each page with the model that applies to it.

Pure. A page that made any request to Segment's hosts is verified with
the Segment destination model (its Segment calls predict its events). A
page with no Segment request but its own `pintrk` calls installed the
Pinterest base code directly: its events are predicted from those calls
by the tag model alone. A page with neither expects no event.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Callable

from harness.capture.call_log import PintrkCall
from harness.capture.page_loads import PageLoad
from harness.capture.routes import CapturedRequest, SegmentCall
from harness.compare import MatchOptions
from harness.destination import CallResult, DestinationRun
from harness.matching import match_page
from harness.settings import Settings
from harness.tag import default_label, encode_page
from harness.verify import PageObservation, PageVerification, SegmentMessage, message_from_payload, verify_page
from harness.wire import TagRequest

MODEL_SEGMENT = "segment"
MODEL_BASE_CODE = "base code"
MODEL_NONE = "none"


@dataclass
class ObservedPage:
    """One page load's observations and the model its events are predicted with."""

    observation: PageObservation
    model: str = MODEL_NONE
    commands: list[Any] = field(default_factory=list)  # the page's own pintrk calls, as lists


def group_pages(
    loads: list[PageLoad],
    segment_calls: list[SegmentCall],
    segment_requests: list[CapturedRequest],
    tag_requests: list[CapturedRequest],
    pintrk_calls: list[PintrkCall],
    step_label: Callable[[float], str],
) -> list[ObservedPage]:
    """Assign each observation to the page load it belongs to.

    `step_label` names the step that was running at a moment (seconds since
    the epoch). A Segment message seen twice (analytics.js retries a
    delivery, on the same page or the next) counts once, by its messageId.
    """
    loads = [load for load in loads if load.url.startswith(("http://", "https://"))]
    pages = [ObservedPage(PageObservation(index, load.url, _traits_of(load.stored_traits))) for index, load in enumerate(loads)]
    if not pages:
        return []

    seen_ids: set[str] = set()
    for call in segment_calls:
        index = page_index(loads, call.request.time, call.request.page_url)
        for message in _messages_of(call.payload):
            message_id = message.get("messageId")
            if isinstance(message_id, str):
                if message_id in seen_ids:
                    continue
                seen_ids.add(message_id)
            pages[index].observation.segment_calls.append(SegmentMessage(message, step_label(call.request.time)))
    for request in segment_requests:
        pages[page_index(loads, request.time, request.page_url)].model = MODEL_SEGMENT
    for captured in tag_requests:
        if captured.tag is not None:
            pages[page_index(loads, captured.time, captured.page_url)].observation.tag_requests.append(captured.tag)
    for call in pintrk_calls:
        if call.main_frame and call.args is not None:
            pages[page_index(loads, call.time, call.url)].commands.append(call.args)

    for page in pages:
        if page.model != MODEL_SEGMENT and page.commands:
            page.model = MODEL_BASE_CODE
    return pages


def verify_pages(settings: Settings, pages: list[ObservedPage], options: MatchOptions) -> list[PageVerification]:
    """Verify each page with its model: Segment destination, base code, or nothing expected."""
    verifications = []
    for page in pages:
        if page.model == MODEL_SEGMENT:
            verifications.append(verify_page(settings, page.observation, options))
        else:
            verifications.append(_verify_without_segment(page, options))
    return verifications


def _verify_without_segment(page: ObservedPage, options: MatchOptions) -> PageVerification:
    observation = page.observation
    number = observation.index + 1
    if page.model == MODEL_BASE_CODE:
        labels = [f"page {number} base code: {default_label(command, index, 0)}" for index, command in enumerate(page.commands)]
        expected = encode_page(page.commands, labels, page=observation.index).events
        note = "no Segment request on this page: events expected from its own pintrk calls (base code)"
    else:
        expected = []
        note = "no Segment request and no pintrk call on this page: no event expected"
    destination = DestinationRun(CallResult(None, "initialize", note=note), [])
    match = match_page(expected, observation.tag_requests, options, page=observation.index)
    return PageVerification(observation, destination, expected, match)


def page_index(loads: list[PageLoad], moment: float, page_url: str | None) -> int:
    """Pick the latest page load that began before `moment` and has the page URL, else the latest before it."""
    candidates = [index for index, load in enumerate(loads) if load.time <= moment]
    if not candidates:
        return 0
    for index in reversed(candidates):
        if page_url and _same_document(loads[index].url, page_url):
            return index
    return candidates[-1]


def merge_proxied(routed: list[CapturedRequest], seen: list[CapturedRequest], proxied: list[TagRequest]) -> list[CapturedRequest]:
    """Combine the requests a proxy decoded with what the browser recorded about them, in time order.

    `routed` are Pinterest requests a route answered (they never reached the
    proxy), `seen` the Pinterest requests the browser made without a route,
    and `proxied` what the proxy decoded. Each proxied request takes the
    time, frame and page of the first request the browser made with the
    same method, URL and raw fields, so grouping by page and step works as
    for routes. A proxied request the browser did not make (another client)
    keeps the proxy's time and no page.
    """
    unclaimed: dict[tuple[str, str, str], list[CapturedRequest]] = {}
    for captured in seen:
        if captured.tag is not None:
            unclaimed.setdefault(_identity(captured.tag), []).append(captured)
    merged = list(routed)
    for tag in proxied:
        candidates = unclaimed.get(_identity(tag))
        if candidates:
            browser_side = candidates.pop(0)
            tag.time = browser_side.time
            merged.append(
                CapturedRequest(
                    method=browser_side.method,
                    url=browser_side.url,
                    body=browser_side.body,
                    content_type=browser_side.content_type,
                    resource_type=browser_side.resource_type,
                    frame_url=browser_side.frame_url,
                    page_url=browser_side.page_url,
                    time=browser_side.time,
                    tag=tag,
                )
            )
        else:
            merged.append(CapturedRequest(tag.method, tag.url, None, None, "other", None, None, tag.time or 0.0, tag))
    merged.sort(key=lambda captured: captured.time)
    return merged


def _identity(tag: TagRequest) -> tuple[str, str, str]:
    return (tag.method.upper(), tag.url, json.dumps(tag.raw, sort_keys=True))


def _messages_of(payload: Any) -> list[dict[str, Any]]:
    """Return the messages in a body posted to Segment's API: one call, or each call of a batch."""
    if isinstance(payload, dict) and isinstance(payload.get("batch"), list):
        items = payload["batch"]
    else:
        items = [payload]
    messages = []
    for item in items:
        message = message_from_payload(item)
        if message is not None:
            messages.append(message)
    return messages


def _traits_of(stored: Any) -> Any:
    return stored if isinstance(stored, dict) else None


def _same_document(first: str, second: str) -> bool:
    return first.split("#", 1)[0] == second.split("#", 1)[0]
