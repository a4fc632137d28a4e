"""Run a site profile in a real browser and verify what reached Pinterest.

The runner is the thin I/O shell around harness.verify: it opens the site,
performs the steps, waits for the network to go quiet after each, and
hands the observed page loads, Segment calls and tag requests to the pure
verification. When the tag stayed silent or a page did not load, it
collects observations for harness.diagnose. On failure it keeps a
Playwright trace and a HAR.

A fixture profile runs offline on the bundled fixtures. A live profile
(an http(s) start URL) loads the site, its real analytics.js and the real
Pinterest tag. The harness responds to requests to Pinterest itself unless
the run sends them for real. Requests are captured by Playwright routes, or by the
mitmproxy proxy with Chromium launched through it.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urljoin, urlsplit

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from harness.artifacts import scrub_artifacts
from harness.browser import HarnessBrowser, Scenario, context_options
from harness.capture.call_log import CallLog, PintrkCall
from harness.capture.consent import probe_consent
from harness.capture.observer import NetworkObserver
from harness.capture.page_loads import PageLoadLog
from harness.capture.proxy_error import ProxyStartError
from harness.capture.routes import (
    PINTEREST_ANSWER,
    PINTEREST_FORWARD,
    PINTEREST_UNROUTED,
    Capture,
    CapturedRequest,
    RoutePolicy,
)
from harness.chromium import BrowserNotFoundError
from harness.compare import MatchOptions
from harness.diagnose import ConsentSignals, Diagnosis, Observations, diagnose
from harness.fixture_server import FIXTURES_DIR
from harness.lint import Finding, lint, validate_rule_ids
from harness.live_browser import CAPTURE_PROXY, CAPTURE_ROUTES, BrowserSession, LaunchPlan
from harness.noscript import NoscriptImage, noscript_images
from harness.observed import group_pages, merge_proxied, verify_pages
from harness.settings import DESTINATION_NAME, Settings, SettingsError, load_settings
from harness.sites import FIXTURE_SCHEME, SiteProfile, Step
from harness.verify import ExpectationResult, PageVerification, check_expectation
from harness.wire import is_pinterest_host, split_url

log = logging.getLogger(__name__)

# How long the network must stay quiet after a step before the next one.
QUIET_MS = 400


class RunError(Exception):
    """The run itself broke: no browser, a page that does not load, a step that cannot run."""


@dataclass
class StepOutcome:
    """The outcome of one step: its time window, its error and its explicit expectations."""

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
    capture: str = CAPTURE_ROUTES
    sent_to_pinterest: bool = False
    diagnosis: Diagnosis | None = None
    page_models: list[str] = field(default_factory=list)  # per page: "segment", "base code" or "none"
    noscript: list[NoscriptImage] = field(default_factory=list)
    noscript_findings: list[Finding] = field(default_factory=list)  # lint of the noscript images, in their order

    @property
    def expectation_results(self) -> list[ExpectationResult]:
        return [result for step in self.steps for result in step.expectations]

    @property
    def lint_errors(self) -> list[Finding]:
        """Lint findings of severity error, on the captured requests and on the noscript images."""
        return [finding for finding in self.findings + self.noscript_findings if finding.severity == "error"]

    @property
    def ok(self) -> bool:
        """True when the run completed, every verdict passed, every explicit expectation held and lint found no error."""
        if self.broken:
            return False
        if not all(page.match.ok for page in self.pages):
            return False
        if self.lint_errors:
            return False
        return all(result.passed for result in self.expectation_results)


@dataclass
class CheckOptions:
    """How to run a check. None means "as the profile says"."""

    browser: str | None = None
    headless: bool = True
    strict: bool = False
    output_dir: Path = Path("pintrk-output")
    keep_artifacts: str = "on-failure"  # "on-failure", "always" or "never"
    lint_disabled: list[str] = field(default_factory=list)
    progress: Callable[[str], None] | None = None
    capture: str | None = None  # "routes" or "proxy"
    send_to_pinterest: bool | None = None
    offline_scripts: bool | None = None
    # Live runs: respond to the calls to Segment's API locally, so they reach
    # neither Segment nor the destinations Segment runs on its servers.
    answer_segment_api: bool = False
    host_map: dict[str, str] = field(default_factory=dict)  # host name -> "address:port", see harness.live_browser
    only_mapped_hosts: bool = False
    blocked_hosts: list[str] = field(default_factory=list)  # requests to these hosts are aborted, as an ad blocker does
    tag_wait: float | None = None
    trusted_spki: list[str] = field(default_factory=list)  # SPKI hashes of extra certificates Chromium accepts
    chromium_args: list[str] = field(default_factory=list)
    fixtures_dir: Path = FIXTURES_DIR  # where offline scripts and fixture pages come from


@dataclass
class _RunPlan:
    """The profile and the options, resolved into what this run does."""

    live: bool
    capture: str
    send_to_pinterest: bool
    offline_scripts: bool
    tag_wait: float
    policy: RoutePolicy
    launch: LaunchPlan


@dataclass
class _Navigation:
    """The outcome of loading the start page."""

    error: str | None = None  # Playwright's error text
    status: int | None = None


def fixture_settings(profile: SiteProfile) -> dict[str, Any] | None:
    """Return the destination settings that the fixture site's Segment CDN response contains."""
    if profile.fixture_settings is None:
        return profile.settings.to_json() if profile.settings else None
    document = json.loads(profile.fixture_settings.read_text(encoding="utf-8"))
    return document.get("integrations", {}).get(DESTINATION_NAME)


def run_check(profile: SiteProfile, options: CheckOptions, harness_browser: HarnessBrowser | None = None) -> CheckResult:
    """Run a profile and verify it. Raises RunError before anything ran (no browser, invalid option).

    With `harness_browser`, the run borrows its Playwright, and also its
    Chromium when the run needs no Chromium flags of its own.
    """
    disabled = list(profile.lint_disabled) + list(options.lint_disabled)
    try:
        validate_rule_ids(disabled)
    except ValueError as error:
        raise RunError(f"lint: {error}") from error
    plan = _plan(profile, options)

    started = time.time()
    session = BrowserSession(plan.launch, harness_browser)
    try:
        session.start()
    except ProxyStartError as error:
        raise RunError(f"cannot start the capture proxy: {error}") from error
    except (RuntimeError, PlaywrightError, OSError, BrowserNotFoundError) as error:
        raise RunError(f"cannot start Chromium: {error}") from error
    try:
        return _run(profile, options, plan, session, disabled, started)
    finally:
        session.close()


def _plan(profile: SiteProfile, options: CheckOptions) -> _RunPlan:
    live = not profile.is_fixture
    capture = options.capture or profile.capture
    if capture not in (CAPTURE_ROUTES, CAPTURE_PROXY):
        raise RunError(f"capture: expected {CAPTURE_ROUTES} or {CAPTURE_PROXY}, got {capture!r}")
    send = profile.send_to_pinterest if options.send_to_pinterest is None else options.send_to_pinterest
    if send and not live:
        raise RunError(f"{profile.path}: a {FIXTURE_SCHEME} profile runs offline and cannot send to Pinterest; drop --send-to-pinterest")
    offline_scripts = not live or (profile.offline_scripts if options.offline_scripts is None else options.offline_scripts)
    tag_wait = profile.tag_wait if options.tag_wait is None else options.tag_wait

    if capture == CAPTURE_PROXY:
        pinterest = PINTEREST_UNROUTED
    else:
        pinterest = PINTEREST_FORWARD if send else PINTEREST_ANSWER
    # A fixture run responds to Segment itself and blocks every other host; a
    # live run lets through whatever it does not serve from the fixtures.
    policy = RoutePolicy(
        answer_scripts=offline_scripts,
        answer_segment_api=offline_scripts or options.answer_segment_api,
        pinterest=pinterest,
        block_other_hosts=not live,
        blocked_hosts=tuple(host.lower() for host in options.blocked_hosts),
    )
    launch = LaunchPlan(
        executable=options.browser,
        headless=options.headless,
        capture=capture,
        send_to_pinterest=send,
        host_map=dict(options.host_map),
        only_mapped_hosts=options.only_mapped_hosts,
        trusted_spki=list(options.trusted_spki),
        chromium_args=list(options.chromium_args),
        fixture_server=not live,
    )
    return _RunPlan(live, capture, send, offline_scripts, tag_wait, policy, launch)


@dataclass
class _Recorders:
    """The recorders installed on one run's browser context."""

    capture: Capture
    call_log: CallLog
    page_loads: PageLoadLog
    observer: NetworkObserver


def _run(profile: SiteProfile, options: CheckOptions, plan: _RunPlan, session: BrowserSession, disabled: list[str], started: float) -> CheckResult:
    output_dir = options.output_dir / _slug(profile.name)
    output_dir.mkdir(parents=True, exist_ok=True)
    har_path = output_dir / "network.har"
    trace_path = output_dir / "trace.zip"
    record_artifacts = options.keep_artifacts != "never"

    scenario, recorders = _open_scenario(profile, options, plan, session, har_path if record_artifacts else None)
    if record_artifacts:
        scenario.context.tracing.start(screenshots=True, snapshots=True)
    steps: list[StepOutcome] = []
    navigation = _Navigation()
    try:
        step_error = _perform(profile, scenario, steps, options, navigation)
        pintrk_calls, waited, consent = _wait_for_silent_tag(profile, plan, scenario, recorders, step_error)
    finally:
        if record_artifacts:
            scenario.context.tracing.stop(path=str(trace_path))
        scenario.close()

    capture = recorders.capture
    captured = _captured_requests(capture, session, plan)
    settings, warnings = _expected_settings(profile, capture)
    grouped = group_pages(recorders.page_loads.loads, capture.segment_calls, capture.segment_requests, captured, pintrk_calls, partial(_step_label, steps))
    verifications = verify_pages(settings, grouped, MatchOptions(strict=options.strict))
    for step in steps:
        step_requests = [request.tag for request in captured if request.tag and step.started <= request.time < step.finished]
        for expectation in _step_expectations(profile, step.index):
            step.expectations.append(check_expectation(f"{step.title} ({step.label})", expectation, step_requests))

    tag_requests = [request.tag for request in captured if request.tag is not None]
    commands = [call.args for call in pintrk_calls if call.args is not None]
    findings = lint(tag_requests, call_log=commands, disabled=set(disabled))
    documents = recorders.observer.documents
    noscript = [image for document in documents if document.html for image in noscript_images(document.html, document.url)]
    noscript_findings = lint([image.request for image in noscript], disabled=set(disabled)) if noscript else []

    observations = Observations(
        start_url=profile.start_url,
        navigation_error=navigation.error,
        page_status=navigation.status,
        expects_tag=plan.live or any(verification.expected for verification in verifications) or bool(settings.tid),
        pinterest_requests=list(recorders.observer.pinterest),
        csp_messages=list(recorders.observer.csp_messages),
        pintrk_commands=commands,
        segment_loaded=bool(capture.segment_requests),
        destination_in_settings=_destination_in_settings(capture),
        tag_wait=waited,
        through_proxy=plan.capture == CAPTURE_PROXY,
    )
    if consent is not None:
        observations.consent = consent
    diagnosis = diagnose(observations)
    broken = step_error
    if diagnosis is not None:
        if step_error and steps[0].error is None:
            # The run broke at a later step; the diagnosis names the fault, the step error stays visible.
            warnings.append(step_error)
        broken = f"{diagnosis.name}: {diagnosis.message}"

    result = CheckResult(
        profile,
        settings,
        verifications,
        steps,
        findings,
        warnings + list(settings.warnings),
        time.time() - started,
        broken,
        capture=plan.capture,
        sent_to_pinterest=plan.send_to_pinterest,
        diagnosis=diagnosis,
        page_models=[page.model for page in grouped],
        noscript=noscript,
        noscript_findings=noscript_findings,
    )
    _keep_artifacts(result, options, output_dir, (trace_path, har_path))
    return result


def _open_scenario(profile: SiteProfile, options: CheckOptions, plan: _RunPlan, session: BrowserSession, har_path: Path | None) -> tuple[Scenario, _Recorders]:
    """Open the run's browser context with the routes and every recorder installed."""
    if plan.live:
        base_url = profile.start_url
        origin = "{0.scheme}://{0.netloc}".format(urlsplit(profile.start_url))
    else:
        assert session.fixture_server is not None
        base_url = session.fixture_server.url
        origin = session.fixture_server.origin
    context_args = context_options(origin, stored_traits=profile.stored_traits)
    if har_path is not None:
        context_args["record_har_path"] = str(har_path)
    context = session.browser.new_context(base_url=base_url, **context_args)

    served_settings = fixture_settings(profile) if plan.offline_scripts else None
    recorders = _Recorders(Capture(served_settings, options.fixtures_dir, plan.policy), CallLog(), PageLoadLog(), NetworkObserver())
    try:
        recorders.call_log.install(context)
        recorders.capture.install(context)
        recorders.page_loads.install(context)
        recorders.observer.install(context)
    except BaseException:
        context.close()
        raise
    return Scenario(context, recorders.capture, recorders.call_log, base_url=base_url), recorders


def _wait_for_silent_tag(
    profile: SiteProfile, plan: _RunPlan, scenario: Scenario, recorders: _Recorders, step_error: str | None
) -> tuple[list[PintrkCall], float, ConsentSignals | None]:
    """Give a silent tag `tag_wait` seconds, then look for a consent manager; return the call log, the wait and the signals.

    A run that broke is not waited for. Reading scenario.call_log first waits
    for the page to deliver its last calls, which never happens while a
    navigation that broke the run is still pending, so a broken run keeps
    the calls delivered so far.
    """
    if step_error is not None:
        return list(recorders.call_log.calls), 0.0, None
    waited = 0.0
    if not recorders.observer.tag_active and not recorders.call_log.calls and _may_expect_tag(profile, plan):
        waited = _wait_for_tag(scenario, plan.tag_wait)
    pintrk_calls = scenario.call_log
    if recorders.observer.tag_active or pintrk_calls:
        return pintrk_calls, waited, None
    return pintrk_calls, waited, probe_consent(scenario.playwright_page, scenario.context)


def _may_expect_tag(profile: SiteProfile, plan: _RunPlan) -> bool:
    """Tell whether the tag may still come: always on a live site; with a tag id expected or served on the fixtures."""
    if plan.live:
        return True
    if profile.settings is not None:
        return bool(profile.settings.tid)
    served = fixture_settings(profile)
    return isinstance(served, dict) and bool(served.get("tid"))


def _keep_artifacts(result: CheckResult, options: CheckOptions, output_dir: Path, paths: tuple[Path, ...]) -> None:
    """Keep the trace and HAR when keep_artifacts requires it, listing them in the result; delete them otherwise."""
    keep = options.keep_artifacts == "always" or (options.keep_artifacts == "on-failure" and not result.ok)
    if keep:
        scrub_artifacts([path for path in paths if path.exists()])
        result.artifacts = [path for path in paths if path.exists()]
        return
    for path in paths:
        path.unlink(missing_ok=True)
    try:
        if not any(output_dir.iterdir()):
            output_dir.rmdir()
    except OSError:
        pass  # another check of the same profile in the same folder removed it, or wrote to it meanwhile


def _perform(profile: SiteProfile, scenario: Scenario, steps: list[StepOutcome], options: CheckOptions, navigation: _Navigation) -> str | None:
    """Open the start URL and run each step; return why the run broke, or None."""
    timeout_ms = profile.timeout * 1000
    page = scenario.playwright_page
    page.set_default_timeout(timeout_ms)
    page.set_default_navigation_timeout(timeout_ms)
    # A navigation counts as activity, so the wait after a step covers the next page's start.
    page.on("framenavigated", lambda frame: scenario.capture.note_activity())
    page.on("load", lambda loaded_page: scenario.capture.note_activity())
    first = StepOutcome(0, f"open {profile.start_url}", time.time(), 0.0)
    steps.append(first)
    try:
        response = scenario.open(_resolve_url(profile.start_url))
        navigation.status = response.status if response is not None else None
    except (PlaywrightError, TimeoutError) as error:
        navigation.error = str(error)
        first.error = f"cannot load {profile.start_url}: {_first_line(error)}"
    if first.error is None and navigation.status is not None and navigation.status >= 400:
        first.error = f"{profile.start_url} answered HTTP {navigation.status}"
    if first.error is None:
        try:
            scenario.wait_for_quiet(idle_ms=QUIET_MS, timeout=profile.timeout)
        except TimeoutError as error:
            first.error = f"{profile.start_url}: {_first_line(error)}"
    first.finished = time.time()
    if first.error:
        return first.error

    for index, step in enumerate(profile.steps, start=1):
        outcome = StepOutcome(index, step.label, time.time(), 0.0)
        steps.append(outcome)
        if options.progress:
            options.progress(f"step {index}/{len(profile.steps)}: {step.label}")
        try:
            _do_step(scenario, step, profile)
            # Counted from the action's end too, so a slow click does not use up the quiet period.
            scenario.capture.note_activity()
            scenario.wait_for_quiet(idle_ms=QUIET_MS, timeout=profile.timeout)
        except (PlaywrightError, TimeoutError, RuntimeError) as error:
            outcome.error = f"step {index} ({step.label}) failed: {_first_line(error)}"
        outcome.finished = time.time()
        if outcome.error:
            return outcome.error
    return None


def _do_step(scenario: Scenario, step: Step, profile: SiteProfile) -> None:
    page = scenario.playwright_page
    value = step.value
    # The quiet period starts now, so a navigation the action starts is waited for.
    scenario.capture.note_activity()
    if step.action == "goto":
        scenario.open(_resolve_url(value, profile))
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


def _resolve_url(url: str, profile: SiteProfile | None = None) -> str:
    """Turn a fixture: URL into a path on the fixture server, and a live profile's relative URL into an absolute one."""
    if url.startswith(FIXTURE_SCHEME):
        return url[len(FIXTURE_SCHEME):].lstrip("/")
    if profile is not None and not profile.is_fixture:
        return urljoin(profile.start_url, url)
    return url


def _wait_for_tag(scenario: Scenario, seconds: float) -> float:
    """Wait up to `seconds` for the page's first request to a Pinterest host; return the seconds waited.

    When nothing came, the result is `seconds` itself, so a diagnosis names the configured wait.
    """
    started = time.monotonic()
    if seconds <= 0:
        return 0.0
    try:
        scenario.context.wait_for_event("request", predicate=lambda request: is_pinterest_host(split_url(request.url)[0]), timeout=seconds * 1000)
    except PlaywrightTimeoutError:
        return seconds
    try:
        # Let the tag's first requests finish before the context closes.
        scenario.wait_for_quiet(idle_ms=QUIET_MS, timeout=max(seconds, 1.0))
    except TimeoutError:
        pass
    return time.monotonic() - started


def _captured_requests(capture: Capture, session: BrowserSession, plan: _RunPlan) -> list[CapturedRequest]:
    """Return the Pinterest requests of the run: from the routes, or the proxy's matched with the browser's."""
    if plan.capture != CAPTURE_PROXY or session.proxy is None:
        return list(capture.requests)
    proxied = [item.request for item in session.proxy.captured()]
    return merge_proxied(list(capture.requests), list(capture.unrouted_pinterest_requests), proxied)


def _expected_settings(profile: SiteProfile, capture: Capture) -> tuple[Settings, list[str]]:
    """Return the settings to predict from: the profile's, or those the pages fetched ("auto")."""
    if profile.settings is not None:
        return profile.settings, []
    fetched = capture.fetched_settings
    if not fetched:
        return load_settings({"tid": ""}, "auto settings"), ["settings: auto, but the page fetched no settings from Segment's CDN"]
    warnings = []
    if any(settings != fetched[0] for settings in fetched[1:]):
        warnings.append("settings: auto, but the pages fetched different Pinterest Tag settings; the first page's are used")
    served = fetched[0]
    if served is None:
        warnings.append("settings: auto, but the Segment CDN settings have no Pinterest Tag destination")
        return load_settings({"tid": ""}, "auto settings"), warnings
    try:
        return load_settings(served, "settings (auto, from Segment's CDN answer)"), warnings
    except SettingsError as error:
        return load_settings({"tid": ""}, "auto settings"), warnings + [str(error)]


def _destination_in_settings(capture: Capture) -> bool | None:
    fetched = capture.fetched_settings
    if not fetched:
        return None
    return any(settings is not None for settings in fetched)


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
