"""Verify what a run observed against what the destination and the tag should have sent.

Pure. A run is a sequence of page loads. Each page contributes the user
traits stored when it loaded, the Segment calls it made (each labelled with
the step that caused it) and the requests its tag sent. The Segment calls go
through the destination model with the expected settings, the resulting
commands through the tag model, and the expected events are matched against
the requests, page by page. Explicit expectations from the site profile are
checked on top, against the requests each step caused.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from harness.compare import MatchOptions, compare_values, show
from harness.destination import DestinationRun, run_destination
from harness.jsvalue import UNDEFINED
from harness.matching import MatchResult, match_page
from harness.settings import Settings
from harness.sites import Expectation
from harness.tag import ExpectedEvent, encode_page, is_standard_event
from harness.wire import TagRequest

# Fields of a message posted to Segment's API that the destination receives.
MESSAGE_FIELDS = ("type", "event", "name", "category", "properties", "userId", "traits", "messageId")
MESSAGE_TYPES = {"p": "page", "t": "track", "i": "identify", "page": "page", "track": "track", "identify": "identify"}


@dataclass
class SegmentMessage:
    """A Segment call a page made, labelled with the step that caused it."""

    message: dict[str, Any]
    step: str


@dataclass
class PageObservation:
    """The observations of one page load: its starting traits, Segment calls and tag requests."""

    index: int
    url: str
    stored_traits: Any
    segment_calls: list[SegmentMessage] = field(default_factory=list)
    tag_requests: list[TagRequest] = field(default_factory=list)


@dataclass
class PageVerification:
    """Expected and observed events of one page load, with the verdicts."""

    page: PageObservation
    destination: DestinationRun
    expected: list[ExpectedEvent]
    match: MatchResult


@dataclass
class ExpectationResult:
    """The outcome of one explicit expectation from a site profile."""

    step: str
    expectation: Expectation
    passed: bool
    reason: str
    observed: TagRequest | None = None


def message_from_payload(payload: Any) -> dict[str, Any] | None:
    """Turn a JSON body posted to Segment's API into the message the destination receives.

    Returns None when the body is not a page, track or identify call.
    """
    if not isinstance(payload, dict):
        return None
    message_type = MESSAGE_TYPES.get(str(payload.get("type")))
    if message_type is None:
        return None
    message = {key: payload[key] for key in MESSAGE_FIELDS if key in payload}
    message["type"] = message_type
    return message


def verify_page(settings: Settings, page: PageObservation, options: MatchOptions, timezone_offset_minutes: int = 0) -> PageVerification:
    """Predict one page's events from its Segment calls and match them against its requests."""
    messages = [call.message for call in page.segment_calls]
    destination = run_destination(settings, page.stored_traits, messages, timezone_offset_minutes)

    commands: list[Any] = []
    labels: list[str] = []
    load_label = f"page load {page.index + 1} ({display_url(page.url)})"
    for command in destination.commands_by_call[0]:
        commands.append(command)
        labels.append(load_label)
    for call, grouped in zip(page.segment_calls, destination.commands_by_call[1:]):
        for command in grouped:
            commands.append(command)
            labels.append(f"{call.step}: {_describe_message(call.message)}")

    expected = encode_page(commands, labels, page=page.index).events
    match = match_page(expected, page.tag_requests, options, page=page.index)
    return PageVerification(page, destination, expected, match)


def verify_run(settings: Settings, pages: list[PageObservation], options: MatchOptions | None = None, timezone_offset_minutes: int = 0) -> list[PageVerification]:
    """Verify every page load of a run."""
    options = options or MatchOptions()
    return [verify_page(settings, page, options, timezone_offset_minutes) for page in pages]


def display_url(url: str) -> str:
    """Shorten a loopback URL to its path, so labels do not change with the server's port."""
    for prefix in ("http://127.0.0.1:", "http://localhost:"):
        if url.startswith(prefix):
            rest = url[len(prefix):]
            return rest[rest.find("/"):] if "/" in rest else "/"
    return url


def check_expectation(step: str, expectation: Expectation, requests: list[TagRequest]) -> ExpectationResult:
    """Check one explicit expectation against the event requests a step caused.

    The first request with the expected event name whose event data contains
    the expected data (numbers by value) and whose em satisfies the rule passes.
    """
    events = [request for request in requests if request.endpoint == "v3"]
    named = [request for request in events if _same_event(expectation.event, request.event)]
    if not named:
        seen = ", ".join(sorted({str(request.event) for request in events})) or "no event"
        return ExpectationResult(step, expectation, False, f"{step}: expected event {expectation.event}, observed {seen}")
    reasons = []
    for request in named:
        problems = _expectation_problems(expectation, request)
        if not problems:
            return ExpectationResult(step, expectation, True, f"{step}: {expectation.event} observed as expected", request)
        reasons.append("; ".join(problems))
    return ExpectationResult(step, expectation, False, f"{step}: {expectation.event}: {reasons[0]}", named[0])


def _expectation_problems(expectation: Expectation, request: TagRequest) -> list[str]:
    problems: list[str] = []
    observed_data = request.ed if isinstance(request.ed, dict) else {}
    for key, value in expectation.data.items():
        differences: list[Any] = []
        compare_values(f"ed.{key}", value, observed_data.get(key, UNDEFINED), False, differences, [])
        problems.extend(difference.reason for difference in differences)
    has_em = isinstance(request.pd, dict) and "em" in request.pd
    if expectation.em == "expected" and not has_em:
        problems.append("em expected, but pd has no em")
    if expectation.em == "absent" and has_em:
        problems.append(f"em must be absent, but pd.em is {show(request.pd['em'])}")
    return problems


def _same_event(expected: str, observed: str | None) -> bool:
    if observed is None:
        return False
    if is_standard_event(expected) or expected.lower() == "init":
        return expected.lower() == observed.lower()
    return expected == observed


def _describe_message(message: dict[str, Any]) -> str:
    kind = message.get("type")
    if kind == "track":
        return f"track {show(message.get('event'))}"
    if kind == "page":
        parts = [show(message[key]) for key in ("category", "name") if message.get(key)]
        return " ".join(["page"] + parts)
    return "identify"
