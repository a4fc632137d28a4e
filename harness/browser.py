"""Drive Segment calls in a real Chromium and observe what reaches Pinterest.

    with HarnessBrowser() as harness_browser:
        scenario = harness_browser.new_scenario(settings={"tid": "2612345678901"})
        scenario.open("pages/blank.html")
        scenario.track("Order Completed", {"order_id": "o1", "value": 10})
        scenario.wait_for_tag_requests(2)
        scenario.tag_requests, scenario.call_log, scenario.segment_calls

One browser serves many scenarios; each scenario is a fresh browser context
with its own routes, call log and storage.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import quote, urljoin, urlsplit

from playwright.sync_api import Browser, BrowserContext, Page, Playwright, Response, sync_playwright

from harness.capture.call_log import CallLog, ConsoleEntry, PintrkCall
from harness.capture.routes import Capture, CapturedRequest, SegmentCall
from harness.chromium import launch_chromium
from harness.fixture_server import FIXTURES_DIR, FixtureServer
from harness.wire import TagRequest

USER_ID_KEY = "ajs_user_id"
USER_TRAITS_KEY = "ajs_user_traits"

# Fixed so dates, times and number formats in event data do not depend on the machine.
TIMEZONE_ID = "UTC"
LOCALE = "en-US"

_ANALYTICS_CALL = """([method, args]) => {
  const analytics = window.analytics;
  if (!analytics || typeof analytics[method] !== "function") return false;
  analytics[method](...args);
  return true;
}"""


def context_options(
    origin: str,
    *,
    stored_traits: dict[str, Any] | None = None,
    user_id: str | None = None,
) -> dict[str, Any]:
    """Return `Browser.new_context` options for a scenario on `origin`.

    `stored_traits` and `user_id` are what analytics.js keeps across page
    loads (localStorage ajs_user_traits; cookie and localStorage ajs_user_id),
    set for `origin` before its first page loads. pytest-playwright users can
    return these from their `browser_context_args` fixture.
    """
    local_storage = []
    cookies = []
    if stored_traits is not None:
        local_storage.append({"name": USER_TRAITS_KEY, "value": json.dumps(stored_traits)})
    if user_id is not None:
        local_storage.append({"name": USER_ID_KEY, "value": json.dumps(user_id)})
        # Written as analytics.js writes it: encodeURIComponent of the id.
        cookies.append({"name": USER_ID_KEY, "value": quote(user_id, safe=""), "url": origin + "/"})
    # Playwright loads a page for each origin in storage_state, which slows
    # every new context, so the origin is listed only when there is something to store.
    origins = [{"origin": origin, "localStorage": local_storage}] if local_storage else []
    return {
        "timezone_id": TIMEZONE_ID,
        "locale": LOCALE,
        # Requests from service workers would bypass the context's routes.
        "service_workers": "block",
        "storage_state": {"cookies": cookies, "origins": origins},
    }


class Scenario:
    """One browser context whose Pinterest and Segment requests get local responses, with everything recorded.

    Create one with HarnessBrowser.new_scenario(), or install the routes and
    the call log onto an existing context with Scenario.attach().
    """

    def __init__(self, context: BrowserContext, capture: Capture, call_log: CallLog, *, base_url: str | None = None) -> None:
        self.context = context
        self.capture = capture
        self._call_log = call_log
        self.base_url = base_url
        self._page: Page | None = None

    @classmethod
    def attach(
        cls,
        context: BrowserContext,
        *,
        settings: dict[str, Any] | None = None,
        fixtures_dir: Path | str = FIXTURES_DIR,
        base_url: str | None = None,
    ) -> "Scenario":
        """Install the routes and the call log onto `context` and return a Scenario for it.

        Call it once per context, best before the context opens its first
        page: a document loaded already is routed from now on, but its pintrk
        calls are not recorded (its next navigation's are). Closing the
        scenario closes the context.
        """
        capture = Capture(settings, fixtures_dir)
        call_log = CallLog()
        call_log.install(context)
        capture.install(context)
        return cls(context, capture, call_log, base_url=base_url)

    # ---- the page -----------------------------------------------------------

    @property
    def playwright_page(self) -> Page:
        """The Playwright page the scenario drives; the context's first page, or a new one."""
        if self._page is None or self._page.is_closed():
            open_pages = [page for page in self.context.pages if not page.is_closed()]
            self._page = open_pages[0] if open_pages else self.context.new_page()
        return self._page

    def open(self, url: str, *, wait_until: str = "load") -> Response | None:
        """Load a page: a path relative to the fixture server (as "pages/blank.html"), or an absolute URL."""
        if not urlsplit(url).scheme:
            if self.base_url is None:
                raise ValueError(f"Cannot open relative URL {url!r}: this scenario has no base URL; give an absolute URL.")
            url = urljoin(self.base_url, url)
        response = self.playwright_page.goto(url, wait_until=wait_until)
        self.capture.note_activity()
        return response

    def page(self, *args: Any) -> None:
        """Call `analytics.page(...)` in the page with these arguments (category, name, properties, options)."""
        self._call_analytics("page", args)

    def track(self, *args: Any) -> None:
        """Call `analytics.track(...)` in the page with these arguments (event, properties, options)."""
        self._call_analytics("track", args)

    def identify(self, *args: Any) -> None:
        """Call `analytics.identify(...)` in the page with these arguments (user id, traits, options)."""
        self._call_analytics("identify", args)

    def _call_analytics(self, method: str, args: tuple[Any, ...]) -> None:
        page = self.playwright_page
        if not page.evaluate(_ANALYTICS_CALL, [method, list(args)]):
            raise RuntimeError(
                f"window.analytics.{method} is not a function on {page.url}; "
                "open a page that loads analytics.js (or its snippet) first."
            )
        self.capture.note_activity()

    # ---- waiting --------------------------------------------------------------

    def wait_for_tag_requests(self, count: int, *, endpoint: str | None = "v3", timeout: float = 10.0) -> list[TagRequest]:
        """Wait until `count` requests to `endpoint` were captured since the scenario began; see Capture.wait_for_tag_requests."""
        return self.capture.wait_for_tag_requests(count, endpoint=endpoint, timeout=timeout)

    def wait_for_quiet(self, *, idle_ms: float = 500, timeout: float = 10.0) -> None:
        """Wait until Pinterest and Segment requests have stopped for `idle_ms`; see Capture.wait_for_quiet."""
        self.capture.wait_for_quiet(idle_ms=idle_ms, timeout=timeout)

    # ---- what was observed ----------------------------------------------------

    @property
    def settings(self) -> dict[str, Any] | None:
        """The Pinterest destination settings served to pages loaded from now on."""
        return self.capture.settings

    @settings.setter
    def settings(self, settings: dict[str, Any] | None) -> None:
        self.capture.settings = settings

    @property
    def tag_requests(self) -> list[TagRequest]:
        """Every request to a Pinterest host, decoded, in the order sent."""
        return self.capture.tag_requests

    @property
    def captured_requests(self) -> list[CapturedRequest]:
        """The same requests as sent (method, body, content type, frame), each with its decoded `tag`."""
        return list(self.capture.requests)

    @property
    def call_log(self) -> list[PintrkCall]:
        """Every pintrk command the pages made, in order, including those of earlier pages.

        Reading it first waits for the open pages to deliver the calls made so far.
        """
        self._call_log.flush(self.context)
        return list(self._call_log.calls)

    @property
    def segment_calls(self) -> list[SegmentCall]:
        """Every call the pages posted to Segment's API, in order."""
        return list(self.capture.segment_calls)

    @property
    def console(self) -> list[ConsoleEntry]:
        return list(self._call_log.console)

    @property
    def blocked(self) -> list[CapturedRequest]:
        """Requests to other hosts, which were aborted."""
        return list(self.capture.blocked)

    def close(self) -> None:
        self.context.close()

    def __enter__(self) -> "Scenario":
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


class HarnessBrowser:
    """A Chromium and a fixture server, shared by the scenarios created from it.

    `executable` overrides the Chromium discovery (see harness.chromium).
    Use it as a context manager, or call start() and close().
    """

    def __init__(self, executable: str | None = None, *, headless: bool = True, fixtures_dir: Path | str = FIXTURES_DIR) -> None:
        self.executable = executable
        self.headless = headless
        self.fixture_server = FixtureServer(fixtures_dir)
        self._playwright: Playwright | None = None
        self._browser: Browser | None = None

    @property
    def playwright(self) -> Playwright:
        if self._playwright is None:
            raise RuntimeError("The harness browser is not running; call start() first.")
        return self._playwright

    @property
    def browser(self) -> Browser:
        if self._browser is None:
            raise RuntimeError("The harness browser is not running; call start() first.")
        return self._browser

    def start(self) -> "HarnessBrowser":
        if self._browser is not None:
            return self
        self._playwright = sync_playwright().start()
        try:
            self._browser = launch_chromium(self._playwright, self.executable, headless=self.headless)
            self.fixture_server.start()
        except BaseException:
            self.close()
            raise
        return self

    def close(self) -> None:
        if self._browser is not None:
            self._browser.close()
            self._browser = None
        if self._playwright is not None:
            self._playwright.stop()
            self._playwright = None
        self.fixture_server.stop()

    def new_scenario(
        self,
        settings: dict[str, Any] | None = None,
        *,
        stored_traits: dict[str, Any] | None = None,
        user_id: str | None = None,
        fixtures: FixtureServer | None = None,
        context_args: dict[str, Any] | None = None,
    ) -> Scenario:
        """Open a fresh browser context with the routes and call log installed.

        `settings` are the Pinterest destination settings that Segment's CDN
        returns (None: no Pinterest destination). `stored_traits` and
        `user_id` are the user analytics.js remembers from an earlier visit.
        `fixtures` serves pages and scripts from another folder than the
        browser's own fixture server. `context_args` are further
        `Browser.new_context` options, such as `record_har_path`.
        """
        server = fixtures if fixtures is not None else self.fixture_server
        options = context_options(server.origin, stored_traits=stored_traits, user_id=user_id)
        options.update(context_args or {})
        context = self.browser.new_context(base_url=server.url, **options)
        try:
            return Scenario.attach(context, settings=settings, fixtures_dir=server.root, base_url=server.url)
        except BaseException:
            context.close()
            raise

    def __enter__(self) -> "HarnessBrowser":
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
