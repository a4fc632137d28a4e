"""Match the events the tag model expects against the requests observed.

Pure: takes ExpectedEvents (from `harness.tag`) and TagRequests (from
`harness.wire`) and returns a MatchResult: one Verdict per expected event,
one per observed event request that matched nothing, and every `/user/` and
other request kept visible.

Pairing, per page:

1. Observed requests are split by endpoint. `/user/` requests are not
   events: they are paired only with expected `/user/` events (when
   `check_user_requests` is on, taking the first with the same `dep`, else
   the first left), and the rest are kept in `user_requests`, never reported
   as unexpected. Requests to other endpoints go to `other_requests`.
2. Each `/v3/` request gets a key: its event name, lowercased when it is a
   standard name (`init` included), exact otherwise.
3. First pass: each expected event, in order, takes the earliest unpaired
   observed request with the same key that matches it with no failing
   difference.
4. Second pass: each expected event still unpaired takes the earliest
   unpaired observed request with the same key.
5. Third pass: expected events still unpaired take, in order, the earliest
   unpaired observed request with the same tag id, whatever its name, so a
   wrong event name shows as a difference instead of a missing event plus an
   unexpected request.
6. Expected events left are "missing"; observed requests left are
   "unexpected".

Every pass looks at all unpaired requests of the page, not only the next
one. So pairing tolerates an interleaved `/user/` request and requests that
arrive out of order. A long event, for example, is sent as a form POST after
the window's load event, and can arrive behind smaller events made later.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Sequence

from harness.compare import Difference, MatchOptions, compare_request, show
from harness.tag import ExpectedEvent, is_standard_event
from harness.wire import TagRequest

__all__ = ["Difference", "MatchOptions", "MatchResult", "Verdict", "match_page", "match_pages"]

PASS = "pass"
FAIL = "fail"
MISSING = "missing"
UNEXPECTED = "unexpected"


@dataclass
class Verdict:
    """The outcome for one expected event or one unmatched observed request.

    `status` is "pass", "fail", "missing" (expected, not observed) or
    "unexpected" (observed, matches nothing). `differences` lists the failing
    field-level differences, and `notes` lists what was seen but not counted
    (extra keys outside strict mode, decode problems).
    """

    status: str
    reason: str
    expected: ExpectedEvent | None = None
    observed: TagRequest | None = None
    differences: list[Difference] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    page: int = 0

    @property
    def passed(self) -> bool:
        return self.status == PASS


@dataclass
class MatchResult:
    """Verdicts for a page or a sequence of pages, plus the requests that are not events."""

    verdicts: list[Verdict] = field(default_factory=list)
    user_requests: list[TagRequest] = field(default_factory=list)
    other_requests: list[TagRequest] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every verdict passed (a result with no verdicts is ok)."""
        return all(verdict.passed for verdict in self.verdicts)

    @property
    def failures(self) -> list[Verdict]:
        return [verdict for verdict in self.verdicts if not verdict.passed]

    @property
    def unexpected(self) -> list[TagRequest]:
        """Observed event requests that matched no expected event."""
        return [verdict.observed for verdict in self.verdicts if verdict.status == UNEXPECTED and verdict.observed]

    def extend(self, other: MatchResult) -> None:
        self.verdicts.extend(other.verdicts)
        self.user_requests.extend(other.user_requests)
        self.other_requests.extend(other.other_requests)


def match_pages(
    expected_pages: Sequence[Sequence[ExpectedEvent]],
    observed_pages: Sequence[Sequence[TagRequest]],
    options: MatchOptions | None = None,
) -> MatchResult:
    """Match a sequence of page loads page by page, so requests never pair across pages."""
    if len(expected_pages) != len(observed_pages):
        raise ValueError(
            f"expected events cover {len(expected_pages)} pages but observed requests cover "
            f"{len(observed_pages)}. Pass one list of observed requests per page load "
            "(an empty list for a page that sent nothing)."
        )
    result = MatchResult()
    for page, (expected, observed) in enumerate(zip(expected_pages, observed_pages)):
        result.extend(match_page(expected, observed, options, page))
    return result


def match_page(
    expected: Sequence[ExpectedEvent],
    observed: Sequence[TagRequest],
    options: MatchOptions | None = None,
    page: int = 0,
) -> MatchResult:
    """Match one page load's expected events against its observed requests."""
    options = options or MatchOptions()
    result = MatchResult()
    required = [event for event in expected if not event.optional or options.check_user_requests]
    events = [request for request in observed if request.endpoint == "v3"]
    users = [request for request in observed if request.endpoint == "user"]
    result.other_requests = [request for request in observed if request.endpoint not in ("v3", "user")]

    pairs: dict[int, TagRequest] = {}
    _pair_user_requests(required, users, pairs)
    _pair_events(required, events, pairs, options)

    paired_ids = {id(request) for request in pairs.values()}
    result.user_requests = [request for request in users if id(request) not in paired_ids]
    for index, event in enumerate(required):
        result.verdicts.append(_judge(event, pairs.get(index), options, page))
    for request in events:
        if id(request) not in paired_ids:
            result.verdicts.append(_unexpected(request, page))
    return result


def _event_key(name: str | None) -> str | None:
    if name is not None and is_standard_event(name):
        return name.lower()
    return name


def _pair_user_requests(required: list[ExpectedEvent], users: list[TagRequest], pairs: dict[int, TagRequest]) -> None:
    free = list(users)
    for index, event in enumerate(required):
        if event.endpoint != "user" or not free:
            continue
        same_dep = [request for request in free if request.params.get("dep") == event.dep]
        chosen = same_dep[0] if same_dep else free[0]
        free.remove(chosen)
        pairs[index] = chosen


def _pair_events(
    required: list[ExpectedEvent], events: list[TagRequest], pairs: dict[int, TagRequest], options: MatchOptions
) -> None:
    free = list(events)

    def take(index: int, accept: Callable[[ExpectedEvent, TagRequest], bool]) -> None:
        for request in free:
            if accept(required[index], request):
                pairs[index] = request
                free.remove(request)
                return

    def same_key(event: ExpectedEvent, request: TagRequest) -> bool:
        return _event_key(event.event) == _event_key(request.event)

    def exact(event: ExpectedEvent, request: TagRequest) -> bool:
        return same_key(event, request) and not compare_request(event, request, options)[0]

    def same_tid(event: ExpectedEvent, request: TagRequest) -> bool:
        return event.tid == request.tid

    for accept in (exact, same_key, same_tid):
        for index, event in enumerate(required):
            if event.endpoint == "v3" and index not in pairs:
                take(index, accept)


def _describe(endpoint: str, event: str | None, dep: str | None) -> str:
    if endpoint == "user":
        return f"/user/ request (dep {show(dep)})"
    if event is None:
        return "event without a name"
    return f"event {show(event)}"


def _describe_expected(event: ExpectedEvent) -> str:
    return _describe(event.endpoint, event.event, event.dep)


def _describe_observed(request: TagRequest) -> str:
    return _describe(request.endpoint, request.event, request.params.get("dep"))


def _judge(event: ExpectedEvent, request: TagRequest | None, options: MatchOptions, page: int) -> Verdict:
    if request is None:
        reason = f"missing: no request for {_describe_expected(event)} from {event.origin}"
        return Verdict(MISSING, reason, expected=event, page=page)
    differences, notes = compare_request(event, request, options)
    if differences:
        details = "; ".join(difference.reason for difference in differences)
        reason = f"{_describe_observed(request)} for {event.origin} differs: {details}"
        return Verdict(FAIL, reason, event, request, differences, notes, page)
    reason = f"{_describe_observed(request)} matches {event.origin}"
    return Verdict(PASS, reason, event, request, [], notes, page)


def _unexpected(request: TagRequest, page: int) -> Verdict:
    reason = f"unexpected: {_describe_observed(request)} (tid {show(request.tid)}) matches no expected event"
    notes = [f"decode problem: {problem}" for problem in request.problems]
    return Verdict(UNEXPECTED, reason, observed=request, notes=notes, page=page)
