"""pytest plugin: check a page's Pinterest tag traffic from your own tests, beside pytest-playwright.

    def test_checkout(page, pintrk):
        pintrk.open("pages/blank.html")
        pintrk.track("Order Completed", {"order_id": "o1", "value": 10})
        pintrk.assert_event("Checkout", {"order_id": "o1", "value": 10})

The `pintrk` fixture attaches the harness (local responses for Segment's and
Pinterest's hosts, the call log, the page load log) to pytest-playwright's
`context` before the test navigates. The browser, its options and its
traces stay pytest-playwright's. This plugin adds the Chromium executable
and flags to its launch options, so the browser starts on a machine with a
system Chromium and without Playwright's own build. Guide: docs/pytest-plugin.md.
"""

from __future__ import annotations

import copy
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generator, Iterator

import pytest
from playwright.sync_api import BrowserContext, Page

from harness.browser import Scenario
from harness.capture.page_loads import PageLoadLog
from harness.chromium import find_chromium, launch_args
from harness.fixture_server import FIXTURES_DIR, FixtureServer
from harness.lint import validate_rule_ids
from harness.pintrk_session import ARTIFACT_FILES, PintrkSession
from harness.settings import Settings, SettingsError, load_settings
from harness.settings_file import read_settings_file

SETTINGS_MARKER = "pintrk_settings"
LINT_MARKER = "pintrk_lint"
ARTIFACTS_SECTION = "pintrk-harness artifacts"
PLAYWRIGHT_MODULE = "pytest_playwright.pytest_playwright"


class PintrkSettingsWarning(UserWarning):
    """Destination settings that are valid but read in a surprising way by the destination."""


@dataclass(frozen=True)
class PluginOptions:
    """The command-line options, validated once in pytest_configure."""

    settings: dict[str, Any] | None
    settings_source: str | None
    strict: bool
    lint_disabled: frozenset[str]
    output_dir: Path | None


@dataclass(frozen=True)
class MarkerSettings:
    """Settings given by a test's pintrk_settings marker, validated at collection."""

    raw: dict[str, Any] | None
    source: str


OPTIONS_KEY = pytest.StashKey[PluginOptions]()
MARKER_SETTINGS_KEY = pytest.StashKey[MarkerSettings]()
MARKER_LINT_KEY = pytest.StashKey[frozenset[str]]()
SETTINGS_SOURCE_KEY = pytest.StashKey[str]()
SESSION_KEY = pytest.StashKey[PintrkSession]()
ARTIFACTS_DIR_KEY = pytest.StashKey[Path]()


# ---- options and markers ------------------------------------------------------------


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("pintrk-harness", "pintrk-harness: Pinterest tag checks")
    group.addoption(
        "--pintrk-settings",
        metavar="FILE",
        help="JSON or YAML file with the Pinterest Tag destination settings (or a Segment CDN settings document) "
        "that pintrk_settings returns when a test has no pintrk_settings marker",
    )
    group.addoption(
        "--pintrk-strict",
        action="store_true",
        default=False,
        help="make assert_matches_segment fail on every extra key or parameter, including those the tag adds itself",
    )
    group.addoption(
        "--pintrk-disable-lint",
        metavar="RULE",
        action="append",
        default=[],
        help="switch a lint rule off by id for every test; repeat for more",
    )
    group.addoption(
        "--pintrk-output",
        metavar="DIR",
        help="folder for the captured requests, call log and Segment calls kept when a test using pintrk fails, "
        "one subfolder per test (default: pytest-playwright's --output folder, beside its traces)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{SETTINGS_MARKER}(settings | file=PATH): the Pinterest Tag destination settings this test expects, "
        "as an object, or as a JSON/YAML file whose path is relative to the test file",
    )
    config.addinivalue_line("markers", f"{LINT_MARKER}(*, disable): lint rule ids that pintrk.lint() skips in this test")
    config.stash[OPTIONS_KEY] = _read_options(config)
    if _playwright_plugin_loaded(config.pluginmanager):
        # Registered now, after every plugin loaded from an entry point, so
        # these fixtures take precedence over pytest-playwright's whatever the
        # entry point order. Fixtures from conftest.py files still take
        # precedence over both.
        from harness import pytest_launch

        config.pluginmanager.register(pytest_launch, "pintrk-harness-playwright")


def _read_options(config: pytest.Config) -> PluginOptions:
    settings = None
    settings_source = None
    settings_option = config.getoption("--pintrk-settings")
    if settings_option:
        path = _resolve(config, settings_option)
        try:
            settings, parsed = read_settings_file(path)
        except SettingsError as error:
            raise pytest.UsageError(f"--pintrk-settings: {error}") from error
        settings_source = str(path)
        for warning in parsed.warnings:
            warnings.warn(PintrkSettingsWarning(warning))

    disabled = list(config.getoption("--pintrk-disable-lint"))
    try:
        validate_rule_ids(disabled)
    except ValueError as error:
        raise pytest.UsageError(f"--pintrk-disable-lint: {error}") from error

    output = config.getoption("--pintrk-output")
    return PluginOptions(
        settings=settings,
        settings_source=settings_source,
        strict=bool(config.getoption("--pintrk-strict")),
        lint_disabled=frozenset(disabled),
        output_dir=_resolve(config, output) if output else None,
    )


def _resolve(config: pytest.Config, value: str) -> Path:
    path = Path(value).expanduser()
    return path if path.is_absolute() else config.invocation_params.dir / path


def _playwright_plugin_loaded(pluginmanager: pytest.PytestPluginManager) -> bool:
    module = sys.modules.get(PLAYWRIGHT_MODULE)
    return module is not None and pluginmanager.is_registered(module)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Validate every pintrk marker once, before any test runs, so a mistake stops the run at once."""
    file_cache: dict[Path, MarkerSettings] = {}
    for item in items:
        settings_marker = item.get_closest_marker(SETTINGS_MARKER)
        if settings_marker is not None:
            item.stash[MARKER_SETTINGS_KEY] = _parse_settings_marker(item, settings_marker, file_cache)
        lint_marker = item.get_closest_marker(LINT_MARKER)
        if lint_marker is not None:
            item.stash[MARKER_LINT_KEY] = _parse_lint_marker(item, lint_marker)


def _parse_settings_marker(item: pytest.Item, marker: pytest.Mark, file_cache: dict[Path, MarkerSettings]) -> MarkerSettings:
    where = f"{item.nodeid}: @pytest.mark.{SETTINGS_MARKER}"
    if set(marker.kwargs) == {"file"} and not marker.args:
        path = Path(marker.kwargs["file"]).expanduser()
        if not path.is_absolute():
            path = item.path.parent / path
        if path not in file_cache:
            try:
                raw, settings = read_settings_file(path)
            except SettingsError as error:
                raise pytest.UsageError(f"{where}: {error}") from error
            file_cache[path] = MarkerSettings(raw, str(path))
            _warn_about(item, settings)
        return file_cache[path]
    if len(marker.args) == 1 and not marker.kwargs:
        raw = marker.args[0]
        source = f"the {SETTINGS_MARKER} marker of {item.nodeid}"
        if raw is None:
            return MarkerSettings(None, source)
        try:
            settings = load_settings(raw, where)
        except SettingsError as error:
            raise pytest.UsageError(str(error)) from error
        _warn_about(item, settings)
        return MarkerSettings(raw, source)
    raise pytest.UsageError(
        f"{where}: expected one settings object or file=PATH, got arguments {marker.args!r} and keywords {marker.kwargs!r}"
    )


def _warn_about(item: pytest.Item, settings: Settings) -> None:
    for warning in settings.warnings:
        item.warn(PintrkSettingsWarning(warning))


def _parse_lint_marker(item: pytest.Item, marker: pytest.Mark) -> frozenset[str]:
    where = f"{item.nodeid}: @pytest.mark.{LINT_MARKER}"
    disabled = marker.kwargs.get("disable")
    if marker.args or set(marker.kwargs) != {"disable"}:
        raise pytest.UsageError(f"{where}: expected disable=[RULE-ID, ...], got arguments {marker.args!r} and keywords {marker.kwargs!r}")
    if isinstance(disabled, str) or not all(isinstance(rule_id, str) for rule_id in disabled):
        raise pytest.UsageError(f"{where}: disable: expected a list of rule ids, got {disabled!r}")
    try:
        validate_rule_ids(set(disabled))
    except ValueError as error:
        raise pytest.UsageError(f"{where}: {error}") from error
    return frozenset(disabled)


# ---- Chromium for pytest-playwright -------------------------------------------------


def chromium_launch_options(
    base: dict[str, Any],
    *,
    browser_name: str | None,
    bundled: str | None,
    remote: bool = False,
) -> dict[str, Any]:
    """Add the harness's Chromium executable and flags to pytest-playwright's launch options.

    An `executable_path` or `channel` in `base` is kept as given. The harness's
    flags go before the flags in `base`, so a flag in `base` wins. Options for
    another browser engine, or for a remote browser (`remote`), are returned
    unchanged.
    """
    if (browser_name or "chromium") != "chromium" or remote:
        return base
    options = dict(base)
    if not options.get("executable_path") and not options.get("channel"):
        options["executable_path"] = find_chromium(bundled=bundled)
    given = list(options.get("args") or [])
    options["args"] = [flag for flag in launch_args() if flag not in given] + given
    return options


# ---- fixtures --------------------------------------------------------------------------


@pytest.fixture(scope="session")
def pintrk_fixture_server() -> Iterator[FixtureServer]:
    """The bundled fixture pages (blank page, demo shop) served on 127.0.0.1."""
    with FixtureServer(FIXTURES_DIR) as server:
        yield server


@pytest.fixture
def pintrk_settings(request: pytest.FixtureRequest) -> dict[str, Any] | None:
    """The Pinterest Tag destination settings the test expects; None for no Pinterest destination.

    From the test's pintrk_settings marker, else from --pintrk-settings,
    else None. Override the fixture to compute them.
    """
    marker_settings = request.node.stash.get(MARKER_SETTINGS_KEY, None)
    if marker_settings is not None:
        request.node.stash[SETTINGS_SOURCE_KEY] = marker_settings.source
        return copy.deepcopy(marker_settings.raw)
    options = request.config.stash[OPTIONS_KEY]
    if options.settings_source is not None:
        request.node.stash[SETTINGS_SOURCE_KEY] = options.settings_source
    return copy.deepcopy(options.settings)


@pytest.fixture
def pintrk_served_settings(pintrk_settings: dict[str, Any] | None) -> dict[str, Any] | None:
    """The Pinterest Tag settings served as Segment's CDN settings; by default pintrk_settings.

    Override it to serve a site's real configuration while pintrk_settings
    contains the settings the test expects.
    """
    return copy.deepcopy(pintrk_settings)


@pytest.fixture
def pintrk(
    request: pytest.FixtureRequest,
    context: BrowserContext,
    page: Page,
    pintrk_settings: dict[str, Any] | None,
    pintrk_served_settings: dict[str, Any] | None,
    pintrk_fixture_server: FixtureServer,
    output_path: str,
) -> PintrkSession:
    """A harness session on the test's `context` and `page`, attached before the test navigates."""
    source = request.node.stash.get(SETTINGS_SOURCE_KEY, "the pintrk_settings fixture")
    try:
        settings = load_settings(pintrk_settings if pintrk_settings is not None else {"tid": ""}, source)
    except SettingsError as error:
        pytest.fail(str(error), pytrace=False)
    if pintrk_settings is not None and SETTINGS_SOURCE_KEY not in request.node.stash:
        # Settings from the option or a marker were warned about when read.
        for warning in settings.warnings:
            warnings.warn(PintrkSettingsWarning(warning))

    scenario = Scenario.attach(
        context,
        settings=pintrk_served_settings,
        fixtures_dir=pintrk_fixture_server.root,
        base_url=pintrk_fixture_server.url,
    )
    page_loads = PageLoadLog()
    page_loads.install(context)

    options = request.config.stash[OPTIONS_KEY]
    session = PintrkSession(
        scenario,
        page_loads,
        settings,
        settings_source=source,
        strict=options.strict,
        lint_disabled=options.lint_disabled | request.node.stash.get(MARKER_LINT_KEY, frozenset()),
    )
    # pytest-playwright's folder for this test, so traces and these files sit together.
    folder = Path(output_path)
    if options.output_dir is not None:
        folder = options.output_dir / folder.name
    request.node.stash[SESSION_KEY] = session
    request.node.stash[ARTIFACTS_DIR_KEY] = folder
    return session


# ---- artifacts -----------------------------------------------------------------------


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    session = item.stash.get(SESSION_KEY, None)
    if session is None:
        return report
    folder = item.stash[ARTIFACTS_DIR_KEY]
    if report.when == "teardown":
        # The context is closed by now; drop the session so its captures are freed.
        del item.stash[SESSION_KEY]
    elif report.failed:
        _keep_artifacts(item, report, session, folder)
    elif report.when == "call":
        _remove_stale_artifacts(folder)
    return report


def _keep_artifacts(item: pytest.Item, report: pytest.TestReport, session: PintrkSession, folder: Path) -> None:
    try:
        paths = session.save_artifacts(folder)
    except OSError as error:
        report.sections.append((ARTIFACTS_SECTION, f"could not write the artifacts into {folder}: {error}"))
        return
    lines = ["Captured Pinterest requests, pintrk calls and Segment calls (email addresses as SHA-256):"]
    for path in paths:
        shown = _path_for_report(item.config, path)
        lines.append(f"  {shown}")
        report.user_properties.append((f"pintrk_{path.stem.removeprefix('pintrk-').replace('-', '_')}", shown))
    report.sections.append((ARTIFACTS_SECTION, "\n".join(lines)))


def _remove_stale_artifacts(folder: Path) -> None:
    """Remove the files an earlier failed run of the test left, so its folder shows this run only."""
    for name in ARTIFACT_FILES:
        (folder / name).unlink(missing_ok=True)
    if folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()


def _path_for_report(config: pytest.Config, path: Path) -> str:
    try:
        return str(path.relative_to(config.invocation_params.dir))
    except ValueError:
        return str(path)
