"""Watch mode: print each decoded Pinterest event as it arrives, with a verdict and its lint findings.

A Watcher receives observations one at a time: page loads, Segment calls
and requests, pintrk calls, CDN settings and Pinterest requests. It writes
one line per `/v3/` event with the time, event, tag id, em as a hash, key
event data and a verdict. stream_events() feeds it from a queue until a stop:
max_events, duration, a threading.Event, or Ctrl-C (KeyboardInterrupt,
which it lets through so the caller can print the summary).

Verdicts:

- With the page's Segment calls known (a browser watch), the page is
  verified as `check` does (harness.observed) and the event's verdict is
  printed: PASS, FAIL or UNEXPECTED with the reason. Because the event can
  arrive before the Segment call that caused it, an event that does not
  pass yet is held for `grace` seconds before its verdict is printed.
- With only settings known (the proxy captures no Segment call), the event is
  checked against the settings: the tag id, and whether the destination
  can send that event name (mapping_verdict).
- With no settings, no verdict is printed.
"""

from __future__ import annotations

import queue
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable, TextIO

from harness.capture.call_log import PintrkCall
from harness.capture.page_loads import PageLoad
from harness.capture.records import format_time, mask_emails, summarize
from harness.capture.routes import CapturedRequest, SegmentCall
from harness.compare import MatchOptions
from harness.destination import BUILT_IN_EVENTS
from harness.lint import Finding, lint
from harness.observed import MODEL_NONE, group_pages, verify_pages
from harness.settings import Settings, SettingsError, load_settings
from harness.tag import PAGE_EVENT, is_standard_event

PASS = "pass"
FAIL = "fail"
UNEXPECTED = "unexpected"
MISSING = "missing"
UNCHECKED = "unchecked"

# Seconds an event that does not pass yet waits for the Segment call that may explain it.
# NOTE: a Segment call later than this leaves the event printed as UNEXPECTED; the line is not revised.
DEFAULT_GRACE = 1.0
# Pinterest events the destination sends for page() calls.
_PAGE_EVENTS = ("PageVisit", "ViewCategory")


@dataclass(frozen=True)
class EventVerdict:
    """The verdict printed beside one event."""

    status: str  # pass, fail, unexpected or unchecked
    reason: str


def mapping_verdict(settings: Settings, event: str | None, tid: str | None) -> EventVerdict:
    """Judge an event from the settings alone: the tag id, and whether the destination can send that name."""
    if tid != settings.tid:
        return EventVerdict(FAIL, f"tid {tid!r}, but the settings' tag id is {settings.tid!r}")
    if event is None:
        return EventVerdict(FAIL, "no event name; the destination always names its events")
    if event.lower() == PAGE_EVENT:
        return EventVerdict(PASS, "init: the page load event of pintrk('page')")
    sources = _segment_sources(settings, event)
    if sources:
        return EventVerdict(PASS, f"{event}: sent for {', '.join(sources)}")
    if is_standard_event(event):
        return EventVerdict(UNEXPECTED, f"{event}: no Segment event maps to it with these settings")
    return EventVerdict(UNCHECKED, f"{event}: partner-defined; an unmapped Segment event goes out under its own name")


def _segment_sources(settings: Settings, event: str) -> list[str]:
    """List the Segment calls that the destination sends as this Pinterest event."""
    lowered = event.lower()
    sources = []
    mapping = settings.pinterest_event_mapping if isinstance(settings.pinterest_event_mapping, dict) else {}
    for segment_event, pinterest_event in mapping.items():
        if isinstance(pinterest_event, str) and pinterest_event.lower() == lowered and pinterest_event.strip():
            sources.append(f"{segment_event!r} (mapping)")
    for object_words, action_words, pinterest_event in BUILT_IN_EVENTS:
        if pinterest_event.lower() == lowered:
            sources.append(f"{(object_words + ' ' + action_words).title()!r} (built-in)")
    if any(name.lower() == lowered for name in _PAGE_EVENTS):
        sources.append("page()")
    return sources


@dataclass
class _HeldEvent:
    captured: CapturedRequest
    arrived: float  # monotonic seconds


@dataclass
class WatchSummary:
    """Counts kept while watching, for the summary."""

    events: Counter[str] = field(default_factory=Counter)
    with_email: Counter[str] = field(default_factory=Counter)
    verdicts: Counter[str] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)  # events whose verdict failed or was unexpected
    missing: list[str] = field(default_factory=list)  # expected events never seen, set by write_summary()
    user_requests: int = 0


class Watcher:
    """Prints events as they arrive; keeps what a verdict and the summary need.

    `settings` are the expected destination settings (from a profile); when
    None, the first Pinterest Tag settings from Segment's CDN are used.
    """

    def __init__(
        self,
        stream: TextIO,
        settings: Settings | None = None,
        *,
        settings_source: str | None = None,
        grace: float = DEFAULT_GRACE,
        lint_disabled: frozenset[str] = frozenset(),
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stream = stream
        self.settings = settings
        self.settings_source = settings_source if settings is not None else None
        self.grace = grace
        self.lint_disabled = lint_disabled
        self.clock = clock
        self.printed = 0
        self.summary = WatchSummary()
        self.loads: list[PageLoad] = []
        self.segment_calls: list[SegmentCall] = []
        self.segment_requests: list[CapturedRequest] = []
        self.pintrk_calls: list[PintrkCall] = []
        self.tag_requests: list[CapturedRequest] = []
        self.lint_findings: list[Finding] = []  # of everything seen, set by write_summary()
        self._held: list[_HeldEvent] = []

    # ---- observations -------------------------------------------------------------

    def add(self, item: Any) -> None:
        """Take one observation: a PageLoad, SegmentCall, SegmentRequest, PintrkCall, CdnSettings or a decoded CapturedRequest."""
        if isinstance(item, PageLoad):
            self.loads.append(item)
        elif isinstance(item, SegmentCall):
            self.segment_calls.append(item)
        elif isinstance(item, SegmentRequest):
            self.segment_requests.append(item.captured)
        elif isinstance(item, PintrkCall):
            self.pintrk_calls.append(item)
        elif isinstance(item, CdnSettings):
            self._take_settings(item)
        elif isinstance(item, CapturedRequest) and item.tag is not None:
            self._add_request(item)
        else:
            raise TypeError(f"Watcher.add: unsupported observation {item!r:.80}")

    def _take_settings(self, item: CdnSettings) -> None:
        if self.settings is not None or item.settings is None:
            return
        try:
            self.settings = load_settings(item.settings, "settings from Segment's CDN")
        except SettingsError as error:
            self._write(f"warning: the page's Segment settings are not usable for verdicts: {error}")
            return
        self.settings_source = "the page's Segment CDN settings"
        self._write(f"expected settings from {self.settings_source}: tid {self.settings.tid!r}")

    def _add_request(self, captured: CapturedRequest) -> None:
        assert captured.tag is not None
        self.tag_requests.append(captured)
        if captured.tag.endpoint == "user":
            self.summary.user_requests += 1
        if captured.tag.endpoint == "v3":
            self._held.append(_HeldEvent(captured, self.clock()))

    # ---- printing -------------------------------------------------------------------

    def flush(self, force: bool = False, limit: int | None = None) -> int:
        """Print held events in arrival order while each one's verdict is final; return how many were printed.

        With `force`, every held event is printed with its verdict as it is
        now. `limit` caps how many are printed in this call.
        """
        now = self.clock()
        printed = 0
        while self._held and (limit is None or printed < limit):
            waiting = self._held[0]
            verdict = self.verdict_for(waiting.captured)
            settled = verdict is None or verdict.status in (PASS, UNCHECKED) or now - waiting.arrived >= self.grace
            if not (force or settled):
                break
            self._held.pop(0)
            self._print_event(waiting.captured, verdict)
            printed += 1
        return printed

    @property
    def held_count(self) -> int:
        """The number of events waiting for their verdict to settle."""
        return len(self._held)

    def verdict_for(self, captured: CapturedRequest) -> EventVerdict | None:
        """Return the verdict for one captured event, or None when no settings are known."""
        if self.settings is None:
            return None
        if not self.loads:
            tag = captured.tag
            return mapping_verdict(self.settings, tag.event, tag.tid)
        pages = group_pages(self.loads, self.segment_calls, self.segment_requests, self.tag_requests, self.pintrk_calls, _page_label)
        for page in pages:
            if not any(request is captured.tag for request in page.observation.tag_requests):
                continue
            if page.model == MODEL_NONE:
                tag = captured.tag
                return mapping_verdict(self.settings, tag.event, tag.tid)
            [verification] = verify_pages(self.settings, [page], MatchOptions())
            for verdict in verification.match.verdicts:
                if verdict.observed is captured.tag:
                    return EventVerdict(verdict.status, verdict.reason)
        return None

    def _print_event(self, captured: CapturedRequest, verdict: EventVerdict | None) -> None:
        request = captured.tag
        summary = summarize(request)
        parts = [format_time(request.time or captured.time), summary.event, f"tid={summary.tid}", summary.em]
        if summary.event_data:
            parts.append(summary.event_data)
        line = "  ".join(parts)
        if verdict is not None:
            line += f"  {verdict.status.upper()}"
            if verdict.status != PASS:
                line += f": {verdict.reason}"
        self._write(mask_emails(line))

        self.printed += 1
        self.summary.events[summary.event] += 1
        if summary.em != "no em":
            self.summary.with_email[summary.event] += 1
        status = verdict.status if verdict is not None else UNCHECKED
        self.summary.verdicts[status] += 1
        if verdict is not None and verdict.status in (FAIL, UNEXPECTED):
            self.summary.failures.append(mask_emails(f"{summary.event} at {format_time(request.time or captured.time)}: {verdict.reason}"))
        for finding in self._findings_for(captured):
            self._write(f"    lint {finding.severity}: {finding.rule_id}: {finding.message}")

    def _findings_for(self, captured: CapturedRequest) -> list[Finding]:
        requests = [item.tag for item in self.tag_requests]
        index = next(position for position, item in enumerate(self.tag_requests) if item is captured)
        return [finding for finding in lint(requests, disabled=self.lint_disabled) if finding.request_index == index]

    def write_summary(self) -> None:
        """Print the counts per event, the verdicts that failed and the lint findings of everything seen."""
        summary = self.summary
        self._write("")
        if not summary.events:
            self._write("Summary: no Pinterest event seen.")
        else:
            counts = ", ".join(f"{event} {count} ({summary.with_email[event]} with em)" for event, count in summary.events.most_common())
            self._write(f"Summary: {_count(self.printed, 'event')}: {counts}; {_count(summary.user_requests, '/user/ request')}.")
            verdicts = ", ".join(f"{count} {status}" for status, count in sorted(summary.verdicts.items()))
            self._write(f"Verdicts: {verdicts}.")
        summary.missing = self._missing()
        for failure in summary.failures + summary.missing:
            self._write(f"  FAILED {failure}")
        requests = [item.tag for item in self.tag_requests]
        commands = [call.args for call in self.pintrk_calls if call.args is not None]
        findings = lint(requests, call_log=commands, disabled=self.lint_disabled) if requests else []
        self.lint_findings = findings
        if findings:
            self._write(f"Lint: {len(findings)} finding{'s' if len(findings) != 1 else ''}.")
            for finding in findings:
                self._write(f"  {finding.severity}: {finding.rule_id}: {finding.message}")
        else:
            self._write("Lint: no findings.")

    def _missing(self) -> list[str]:
        """Describe each expected event that never arrived, on pages whose Segment calls or pintrk calls are known."""
        if self.settings is None or not self.loads:
            return []
        pages = group_pages(self.loads, self.segment_calls, self.segment_requests, self.tag_requests, self.pintrk_calls, _page_label)
        missing = []
        for verification in verify_pages(self.settings, pages, MatchOptions()):
            for verdict in verification.match.verdicts:
                if verdict.status == MISSING:
                    missing.append(mask_emails(f"missing on {verification.page.url}: {verdict.reason}"))
        return missing

    def _write(self, text: str) -> None:
        self.stream.write(text + "\n")
        self.stream.flush()


@dataclass(frozen=True)
class CdnSettings:
    """The Pinterest Tag settings a page received from Segment's CDN (None: no such destination)."""

    settings: Any


@dataclass(frozen=True)
class SegmentRequest:
    """A request a page made to one of Segment's hosts: it marks the page as a Segment page."""

    captured: CapturedRequest


STOP_MAX_EVENTS = "max-events"
STOP_DURATION = "duration"
STOP_EVENT = "stopped"


def stream_events(
    source: "queue.Queue[Any]",
    watcher: Watcher,
    *,
    stop: threading.Event | None = None,
    max_events: int | None = None,
    duration: float | None = None,
    pump: Callable[[float], None] | None = None,
    tick: float = 0.1,
) -> str:
    """Feed the watcher from `source` until a stop; return which stop ended it.

    Without `pump`, the loop blocks on the queue for up to `tick` seconds at
    a time. With `pump` (a browser watch), the loop calls pump(tick) instead,
    which must run the browser's events and fill the queue. Held events are
    printed when their verdict settles; on return, events still held stay
    held (call watcher.flush(force=True) to print them).
    """
    started = watcher.clock()
    while True:
        if stop is not None and stop.is_set():
            return STOP_EVENT
        if max_events is not None and watcher.printed >= max_events:
            return STOP_MAX_EVENTS
        remaining = None if duration is None else duration - (watcher.clock() - started)
        if remaining is not None and remaining <= 0:
            return STOP_DURATION
        wait = tick if remaining is None else max(min(tick, remaining), 0.0)

        if pump is not None:
            pump(wait)
        else:
            try:
                watcher.add(source.get(timeout=wait))
            except queue.Empty:
                pass
        while True:
            try:
                watcher.add(source.get_nowait())
            except queue.Empty:
                break
        watcher.flush(limit=None if max_events is None else max_events - watcher.printed)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _page_label(moment: float) -> str:
    return f"the Segment call at {format_time(moment)}"
