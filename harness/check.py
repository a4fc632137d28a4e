"""Run a site profile in a real browser and verify what reached Pinterest.

The runner is the thin I/O shell around harness.verify: it opens the site,
performs the steps, waits for the network to go quiet after each, and
hands the observed page loads, Segment calls and tag requests to the pure
verification. On failure it keeps a Playwright trace and a HAR.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from playwright.sync_api import Error as PlaywrightError

from harness.browser import HarnessBrowser, Scenario
from harness.capture.page_loads import PageLoad, PageLoadLog
from harness.capture.routes import CapturedRequest
from harness.compare import MatchOptions
from harness.lint import Finding, lint, validate_rule_ids
from harness.settings import DESTINATION_NAME, Settings, SettingsError, load_settings, settings_from_cdn
from harness.sites import FIXTURE_SCHEME, SiteProfile, Step
from harness.verify import ExpectationResult, PageObservation, PageVerification, SegmentMessage, check_expectation, message_from_payload, verify_run
from harness.wire import TagRequest

log = logging.getLogger(__name__)

# How long the network must stay quiet after a step before the next one.
QUIET_MS = 400


class RunError(Exception):
    """The run itself broke: no browser, a page that does not load, a step that cannot run."""


@dataclass
class StepOutcome:
    """What happened at one step: its time window and its explicit expectations."""

    index: int
    label: str
    started: float
    finished: float
    error: str | None = None
    expectations: list[ExpectationResult] = field(default_factory=list)

    @property
    def title(self) -> str:
        return f"step {self.index}" if self.index else "page load"


@dataclass
class CheckResult:
    """Everything a report needs about one run of a site profile."""

    profile: SiteProfile
    settings: Settings
    pages: list[PageVerification]
    steps: list[StepOutcome]
    findings: list[Finding]
    warnings: list[str]
    duration: float
    broken: str | None = None
    artifacts: list[Path] = field(default_factory=list)

    @property
    def expectation_results(self) -> list[ExpectationResult]:
        return [result for step in self.steps for result in step.expectations]

    @property
    def ok(self) -> bool:
        """True when the run completed, every verdict passed and every explicit expectation held."""
        if self.broken:
            return False
        if not all(page.match.ok for page in self.pages):
            return False
        return all(result.passed for result in self.expectation_results)


@dataclass
class CheckOptions:
    """How to run a check."""

    browser: str | None = None
    headless: bool = True
    strict: bool = False
    output_dir: Path = Path("pintrk-output")
    keep_artifacts: str = "on-failure"  # "on-failure", "always" or "never"
    lint_disabled: list[str] = field(default_factory=list)
    progress: Callable[[str], None] | None = None


def fixture_settings(profile: SiteProfile) -> dict[str, Any] | None:
    """Return the destination settings the fixture site's Segment CDN answer carries."""
    if profile.fixture_settings is None:
        return profile.settings.to_json() if profile.settings else None
    document = json.loads(profile.fixture_settings.read_text(encoding="utf-8"))
    return document.get("integrations", {}).get(DESTINATION_NAME)


def run_check(profile: SiteProfile, options: CheckOptions, harness_browser: HarnessBrowser | None = None) -> CheckResult:
    """Run a profile and verify it. Raises RunError before anything ran (no browser, invalid option)."""
    disabled = list(profile.lint_disabled) + list(options.lint_disabled)
    try:
        validate_rule_ids(disabled)
    except ValueError as error:
        raise RunError(f"lint: {error}") from error

    started = time.time()
    owned = harness_browser is None
    if harness_browser is None:
        harness_browser = HarnessBrowser(options.browser, headless=options.headless)
        try:
            harness_browser.start()
        except (RuntimeError, PlaywrightError, OSError) as error:
            raise RunError(f"cannot start Chromium: {error}") from error
    try:
        return _run(profile, options, harness_browser, disabled, started)
    finally:
        if owned:
            harness_browser.close()


def _run(profile: SiteProfile, options: CheckOptions, harness_browser: HarnessBrowser, disabled: list[str], started: float) -> CheckResult:
    output_dir = options.output_dir / _slug(profile.name)
    output_dir.mkdir(parents=True, exist_ok=True)
    har_path = output_dir / "network.har"
    record_artifacts = options.keep_artifacts != "never"
    context_args: dict[str, Any] = {"record_har_path": str(har_path)} if record_artifacts else {}

    scenario = harness_browser.new_scenario(fixture_settings(profile), stored_traits=profile.stored_traits, context_args=context_args)
    page_loads = PageLoadLog()
    page_loads.install(scenario.context)
    if record_artifacts:
        scenario.context.tracing.start(screenshots=True, snapshots=True)

    steps: list[StepOutcome] = []
    broken = None
    try:
        broken = _perform(profile, scenario, steps, options)
        call_log = [call.args for call in scenario.call_log if call.args is not None]
    finally:
        trace_path = output_dir / "trace.zip"
        if record_artifacts:
            scenario.context.tracing.stop(path=str(trace_path))
        scenario.close()

    settings, warnings = _expected_settings(profile, scenario)
    pages = _observed_pages(page_loads.loads, scenario, steps)
    verifications = verify_run(settings, pages, MatchOptions(strict=options.strict))
    for step in steps:
        step_requests = [request.tag for request in scenario.captured_requests if request.tag and step.started <= request.time < step.finished]
        for expectation in _step_expectations(profile, step.index):
            step.expectations.append(check_expectation(f"{step.title} ({step.label})", expectation, step_requests))

    findings = lint(scenario.tag_requests, call_log=call_log, disabled=set(disabled))
    result = CheckResult(profile, settings, verifications, steps, findings, warnings + list(settings.warnings), time.time() - started, broken)

    keep = options.keep_artifacts == "always" or (options.keep_artifacts == "on-failure" and not result.ok)
    if keep:
        result.artifacts = [path for path in (trace_path, har_path) if path.exists()]
    else:
        for path in (trace_path, har_path):
            path.unlink(missing_ok=True)
        if not any(output_dir.iterdir()):
            output_dir.rmdir()
    return result


def _perform(profile: SiteProfile, scenario: Scenario, steps: list[StepOutcome], options: CheckOptions) -> str | None:
    """Open the start URL and run each step; return why the run broke, or None."""
    timeout_ms = profile.timeout * 1000
    page = scenario.playwright_page
    page.set_default_timeout(timeout_ms)
    # A navigation counts as activity, so the wait after a step covers the next page's start.
    page.on("framenavigated", lambda frame: scenario.capture.note_activity())
    page.on("load", lambda loaded_page: scenario.capture.note_activity())
    first = StepOutcome(0, f"open {profile.start_url}", time.time(), 0.0)
    steps.append(first)
    try:
        response = scenario.open(_resolve_url(profile.start_url))
        if response is not None and response.status >= 500:
            first.error = f"{profile.start_url} answered HTTP {response.status}"
        scenario.wait_for_quiet(idle_ms=QUIET_MS, timeout=profile.timeout)
    except (PlaywrightError, TimeoutError) as error:
        first.error = f"cannot load {profile.start_url}: {_first_line(error)}"
    first.finished = time.time()
    if first.error:
        return first.error

    for index, step in enumerate(profile.steps, start=1):
        outcome = StepOutcome(index, step.label, time.time(), 0.0)
        steps.append(outcome)
        if options.progress:
            options.progress(f"step {index}/{len(profile.steps)}: {step.label}")
        try:
            _do_step(scenario, step)
            scenario.wait_for_quiet(idle_ms=QUIET_MS, timeout=profile.timeout)
        except (PlaywrightError, TimeoutError, RuntimeError) as error:
            outcome.error = f"step {index} ({step.label}) failed: {_first_line(error)}"
        outcome.finished = time.time()
        if outcome.error:
            return outcome.error
    return None


def _do_step(scenario: Scenario, step: Step) -> None:
    page = scenario.playwright_page
    value = step.value
    # The quiet period starts now, so a navigation the action starts is waited for.
    scenario.capture.note_activity()
    if step.action == "goto":
        scenario.open(_resolve_url(value))
    elif step.action == "click":
        page.click(value)
    elif step.action == "fill":
        page.fill(value["selector"], value["value"])
    elif step.action == "select":
        page.select_option(value["selector"], value["value"])
    elif step.action == "press":
        page.press(value["selector"], value["key"])
    elif step.action == "wait_for":
        page.wait_for_selector(value)
    elif step.action == "page":
        scenario.page(value.get("category"), value.get("name"), value.get("properties") or {})
    elif step.action == "track":
        scenario.track(value["event"], value.get("properties") or {})
    elif step.action == "identify":
        scenario.identify(value.get("user_id"), value.get("traits") or {})


def _resolve_url(url: str) -> str:
    """Turn a fixture: URL into a path the scenario opens on its fixture server."""
    if url.startswith(FIXTURE_SCHEME):
        return url[len(FIXTURE_SCHEME):].lstrip("/")
    return url


def _expected_settings(profile: SiteProfile, scenario: Scenario) -> tuple[Settings, list[str]]:
    """Return the settings to predict from: the profile's, or those the page fetched ("auto")."""
    if profile.settings is not None:
        return profile.settings, []
    served = scenario.settings
    if served is None:
        return load_settings({"tid": ""}, "auto settings"), ["settings: auto, but the page fetched no Pinterest Tag settings from Segment's CDN"]
    try:
        return load_settings(served, "settings (auto, from Segment's CDN answer)"), []
    except SettingsError as error:
        return load_settings({"tid": ""}, "auto settings"), [str(error)]


def _observed_pages(loads: list[PageLoad], scenario: Scenario, steps: list[StepOutcome]) -> list[PageObservation]:
    """Group Segment calls and tag requests by the page load that made them."""
    loads = [load for load in loads if load.url.startswith(("http://", "https://"))]
    pages = [PageObservation(index, load.url, _traits_of(load.stored_traits)) for index, load in enumerate(loads)]
    if not pages:
        return []
    for call in scenario.segment_calls:
        message = message_from_payload(call.payload)
        if message is None:
            continue
        index = _page_index(loads, call.request)
        pages[index].segment_calls.append(SegmentMessage(message, _step_label(steps, call.request.time)))
    for request in scenario.captured_requests:
        if request.tag is not None:
            pages[_page_index(loads, request)].tag_requests.append(request.tag)
    return pages


def _traits_of(stored: Any) -> Any:
    return stored if isinstance(stored, dict) else None


def _page_index(loads: list[PageLoad], request: CapturedRequest) -> int:
    """Pick the latest page load that began before the request and has the request's page URL."""
    candidates = [index for index, load in enumerate(loads) if load.time <= request.time]
    if not candidates:
        return 0
    for index in reversed(candidates):
        if request.page_url and _same_document(loads[index].url, request.page_url):
            return index
    return candidates[-1]


def _same_document(first: str, second: str) -> bool:
    return first.split("#", 1)[0] == second.split("#", 1)[0]


def _step_label(steps: list[StepOutcome], moment: float) -> str:
    label = "page load"
    for step in steps:
        if step.started <= moment:
            label = f"{step.title} ({step.label})"
    return label


def _step_expectations(profile: SiteProfile, index: int) -> list:
    if index == 0:
        return []
    return profile.steps[index - 1].expectations


def _slug(name: str) -> str:
    cleaned = "".join(character if character.isalnum() else "-" for character in name.lower()).strip("-")
    return cleaned or "site"


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
