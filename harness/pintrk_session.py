"""The object the `pintrk` pytest fixture returns: one test's browser context, driven and observed.

It wraps a Scenario attached to pytest-playwright's context, plus the page
load log. On top it adds what a test needs: waiting for an event, asserting
one, and verifying the page's Pinterest traffic against its Segment calls
(as the `check` command does). It also lints the tag data and writes the
captured data to files.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any, Callable

from playwright.sync_api import BrowserContext, Page, Response
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from harness.browser import Scenario
from harness.capture.call_log import PintrkCall
from harness.capture.page_loads import PageLoadLog
from harness.capture.records import mask_emails, summary_line
from harness.capture.routes import SegmentCall
from harness.check import QUIET_MS
from harness.compare import MatchOptions
from harness.lint import SEVERITIES, Finding, format_finding, lint
from harness.observed import group_pages, verify_pages
from harness.settings import Settings
from harness.sites import EM_RULES, Expectation
from harness.tag import is_standard_event
from harness.verify import PageVerification, check_expectation
from harness.wire import TagRequest

# File names inside a test's artifact folder; prefixed so they sit beside
# pytest-playwright's trace.zip and screenshots without a clash.
EVENTS_FILE = "pintrk-events.jsonl"
CALL_LOG_FILE = "pintrk-call-log.jsonl"
SEGMENT_CALLS_FILE = "pintrk-segment-calls.jsonl"
ARTIFACT_FILES = (EVENTS_FILE, CALL_LOG_FILE, SEGMENT_CALLS_FILE)

DEFAULT_TIMEOUT = 10.0

# The maximum single wait on the context's requestfinished event. A request
# that fails instead of finishing (its page navigated away) fires no such
# event, so the captured requests are looked at again at least this often.
_MAX_EVENT_WAIT = 1.0

# Label of the captured events in assert_event's messages.
_EVENTS_LABEL = "captured events"


class PintrkSession:
    """One test's harness session on pytest-playwright's `context` and `page`.

    `settings` are the destination settings the test expects Segment to use.
    `served_settings` are those served as Segment's CDN settings to pages
    loaded from now on.
    """

    def __init__(
        self,
        scenario: Scenario,
        page_loads: PageLoadLog,
        settings: Settings,
        *,
        settings_source: str,
        strict: bool = False,
        lint_disabled: frozenset[str] = frozenset(),
    ) -> None:
        self.scenario = scenario
        self.page_loads = page_loads
        self.settings = settings
        self.settings_source = settings_source
        self.strict = strict
        self.lint_disabled = lint_disabled

    # ---- driving the page -------------------------------------------------------

    @property
    def context(self) -> BrowserContext:
        return self.scenario.context

    @property
    def playwright_page(self) -> Page:
        """The Playwright page the session drives: the context's first open page."""
        return self.scenario.playwright_page

    @property
    def served_settings(self) -> dict[str, Any] | None:
        """The Pinterest Tag settings served as Segment's CDN settings (None: no Pinterest destination)."""
        return self.scenario.settings

    @served_settings.setter
    def served_settings(self, settings: dict[str, Any] | None) -> None:
        self.scenario.settings = settings

    def open(self, url: str, *, wait_until: str = "load") -> Response | None:
        """Load a page: a path on the bundled fixture server (as "pages/blank.html"), or an absolute URL."""
        return self.scenario.open(url, wait_until=wait_until)

    def page(self, *args: Any) -> None:
        """Call `analytics.page(...)` in the page (category, name, properties, options)."""
        self.scenario.page(*args)

    def track(self, *args: Any) -> None:
        """Call `analytics.track(...)` in the page (event, properties, options)."""
        self.scenario.track(*args)

    def identify(self, *args: Any) -> None:
        """Call `analytics.identify(...)` in the page (user id, traits, options)."""
        self.scenario.identify(*args)

    # ---- what was observed ------------------------------------------------------

    @property
    def tag_requests(self) -> list[TagRequest]:
        """Every request to a Pinterest host since the test began, decoded: events, /user/ and the tag script."""
        return self.scenario.tag_requests

    @property
    def events(self) -> list[TagRequest]:
        """The event requests (/v3/) since the test began, decoded, in the order sent."""
        return [request for request in self.scenario.tag_requests if request.endpoint == "v3"]

    @property
    def call_log(self) -> list[PintrkCall]:
        """Every pintrk command the pages made, in order (see Scenario.call_log)."""
        return self.scenario.call_log

    @property
    def segment_calls(self) -> list[SegmentCall]:
        """Every call the pages posted to Segment's API, in order."""
        return self.scenario.segment_calls

    # ---- waiting and asserting --------------------------------------------------

    def wait_for_event(
        self,
        name: str,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        where: Callable[[TagRequest], bool] | None = None,
    ) -> TagRequest:
        """Return the first event request named `name` (and accepted by `where`) since the test began.

        Waits for it when it has not been captured yet. Standard event names
        compare ignoring case, partner-defined names exactly. Raises
        TimeoutError after `timeout` seconds, listing the events captured.
        """
        __tracebackhide__ = True

        def find() -> TagRequest | None:
            for request in self.events:
                if _has_name(request, name) and (where is None or where(request)):
                    return request
            return None

        deadline = time.monotonic() + timeout
        found = find()
        while found is None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                condition = "" if where is None else " accepted by `where`"
                raise TimeoutError(
                    f"Timed out after {timeout:g} s waiting for a {name} event{condition}; "
                    f"captured events: {self._describe_events()}{self._settings_hint()}"
                )
            self._wait_for_request(lambda: find() is not None, min(remaining, _MAX_EVENT_WAIT))
            found = find()
        return found

    def assert_event(
        self,
        name: str,
        data_subset: dict[str, Any] | None = None,
        *,
        em: str = "any",
        timeout: float = DEFAULT_TIMEOUT,
    ) -> TagRequest:
        """Assert that an event named `name` was sent whose event data contains `data_subset`; return it.

        Numbers compare by value. `em` is "any", "expected" (pd must carry
        em) or "absent". Waits up to `timeout` seconds for an event with that
        name. When the events with that name do not match, it waits for the
        network to go quiet before failing, so a matching one sent later
        still counts. Raises AssertionError naming the event and field.
        """
        __tracebackhide__ = True
        if em not in EM_RULES:
            raise ValueError(f"em={em!r} is not an em rule; use one of {', '.join(EM_RULES)}")
        expectation = Expectation(name, dict(data_subset or {}), em)

        def satisfies(request: TagRequest) -> bool:
            return check_expectation(_EVENTS_LABEL, expectation, [request]).passed

        try:
            self.wait_for_event(name, timeout=timeout)
        except TimeoutError:
            pass
        else:
            matching = [request for request in self.events if _has_name(request, name) and satisfies(request)]
            if matching:
                return matching[0]
            self._wait_for_quiet(timeout)
            matching = [request for request in self.events if _has_name(request, name) and satisfies(request)]
            if matching:
                return matching[0]

        result = check_expectation(_EVENTS_LABEL, expectation, self.events)
        raise AssertionError(result.reason + self._settings_hint())

    def verify(self) -> list[PageVerification]:
        """Verify every page load's Pinterest requests against its Segment calls, with `settings`.

        Waits for the network to go quiet first. The grouping and the models
        are those of the `check` command (harness.observed). A page that made
        Segment requests is predicted from its Segment calls, through the
        destination and tag models. A page with only its own pintrk calls
        (the base code) is predicted from those calls.
        """
        # NOTE: dates in event data are predicted for a browser in UTC. Set
        # the context's time zone (harness.browser.context_options) to match.
        self._wait_for_quiet(DEFAULT_TIMEOUT)
        capture = self.scenario.capture
        pages = group_pages(
            self.page_loads.loads,
            capture.segment_calls,
            capture.segment_requests,
            self.scenario.captured_requests,
            self.call_log,
            lambda moment: "",
        )
        for page in pages:
            # Name each call by its page, which the failure message lists it under.
            for call in page.observation.segment_calls:
                call.step = f"page {page.observation.index + 1}"
        return verify_pages(self.settings, pages, MatchOptions(strict=self.strict))

    def assert_matches_segment(self) -> list[PageVerification]:
        """Assert that the Pinterest requests are what the Segment calls should produce with `settings`.

        Raises AssertionError listing every failing verdict's reason, page by
        page, and every event request that matched no expected event. Also
        fails when no page was loaded, since there would be nothing to verify.
        """
        __tracebackhide__ = True
        verifications = self.verify()
        if not verifications:
            raise AssertionError("No page was loaded since the test began, so there is nothing to verify; open a page first.")
        failed = [verification for verification in verifications if not verification.match.ok]
        if not failed:
            return verifications

        lines = [f"Pinterest requests do not match the Segment calls with the settings from {self.settings_source}:"]
        for verification in failed:
            page = verification.page
            lines.append(f"page {page.index + 1} ({page.url}):")
            for verdict in verification.match.failures:
                lines.append(f"  {verdict.status}: {verdict.reason}")
        unmatched = [(verification.page.index, request) for verification in failed for request in verification.match.unexpected]
        if unmatched:
            lines.append("Event requests that matched no expected event:")
            for index, request in unmatched:
                lines.append(f"  {summary_line(request, f'page {index + 1}')}")
        for warning in self.settings.warnings:
            lines.append(f"settings warning: {warning}")
        raise AssertionError("\n".join(lines))

    def lint(self) -> list[Finding]:
        """Lint the captured requests and the call log, without the disabled rules.

        Waits for the network to go quiet first. A finding's request index
        points into `tag_requests`.
        """
        self._wait_for_quiet(DEFAULT_TIMEOUT)
        commands = [call.args for call in self.call_log if call.args is not None]
        return lint(self.tag_requests, call_log=commands, disabled=self.lint_disabled)

    def assert_no_lint(self, severity: str = "error") -> None:
        """Assert there is no lint finding of `severity` or worse ("error", "warning" or "info")."""
        __tracebackhide__ = True
        if severity not in SEVERITIES:
            raise ValueError(f"severity={severity!r} is not a lint severity; use one of {', '.join(SEVERITIES)}")
        worst = SEVERITIES[: SEVERITIES.index(severity) + 1]
        findings = [finding for finding in self.lint() if finding.severity in worst]
        if findings:
            lines = [f"{len(findings)} lint finding(s) of severity {severity} or worse:"]
            lines.extend(f"  {format_finding(finding)}" for finding in findings)
            lines.append("Switch a rule off with @pytest.mark.pintrk_lint(disable=[RULE-ID]) or --pintrk-disable-lint RULE-ID.")
            raise AssertionError("\n".join(lines))

    # ---- artifacts --------------------------------------------------------------

    def save_artifacts(self, folder: Path) -> list[Path]:
        """Write the decoded requests, the call log and the Segment calls as JSON lines into `folder`.

        Every email address is replaced by its SHA-256. Returns the paths written.
        """
        folder.mkdir(parents=True, exist_ok=True)
        events = []
        for captured in self.scenario.captured_requests:
            if captured.tag is not None:
                events.append({"time": captured.time, "page_url": captured.page_url, "frame_url": captured.frame_url, **captured.tag.to_json()})
        calls = [
            {"time": call.time, "url": call.url, "main_frame": call.main_frame, "source": call.source, "queued": call.queued, "args": call.args, "error": call.error}
            for call in self.call_log
        ]
        segment_calls = [
            {"time": call.request.time, "endpoint": call.endpoint, "page_url": call.page_url, "payload": call.payload}
            for call in self.segment_calls
        ]
        written = []
        for name, records in ((EVENTS_FILE, events), (CALL_LOG_FILE, calls), (SEGMENT_CALLS_FILE, segment_calls)):
            path = folder / name
            with path.open("w", encoding="utf-8", errors="backslashreplace") as stream:
                for record in records:
                    stream.write(json.dumps(mask_emails(record), ensure_ascii=False) + "\n")
            written.append(path)
        return written

    # ---- helpers ----------------------------------------------------------------

    def _wait_for_request(self, predicate: Callable[[], bool], timeout: float) -> None:
        try:
            self.context.wait_for_event("requestfinished", predicate=lambda _request: predicate(), timeout=max(timeout * 1000, 1))
        except PlaywrightTimeoutError:
            pass

    def _wait_for_quiet(self, timeout: float) -> None:
        try:
            self.scenario.wait_for_quiet(idle_ms=QUIET_MS, timeout=timeout)
        except TimeoutError:
            # A page that keeps sending is verified as it is now.
            pass

    def _describe_events(self) -> str:
        names = [str(request.event) for request in self.events]
        return ", ".join(names) if names else "none"

    def _settings_hint(self) -> str:
        served = self.served_settings
        if isinstance(served, dict) and served.get("tid"):
            return ""
        return (
            ". The Segment CDN settings served to the page have no Pinterest Tag tag id, so the page loads no tag;"
            " give settings with --pintrk-settings FILE or @pytest.mark.pintrk_settings"
        )

def _has_name(request: TagRequest, name: str) -> bool:
    if request.event is None:
        return False
    if is_standard_event(name):
        return request.event.lower() == name.lower()
    return request.event == name
