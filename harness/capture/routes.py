"""Respond locally to requests for Pinterest's and Segment's hosts, and capture what a page sends them.

A RoutePolicy decides which requests the capture responds to itself. The default,
FIXTURE_POLICY, is the offline fixture world: one catch-all route on the
browser context (so requests from iframes are included) handles every
request that is not for a loopback address:

- Pinterest hosts: each request is captured and decoded with
  `harness.wire.decode_request`; `/v3/` gets a 1x1 GIF, `/user/` gets `{}` as
  JSON with CORS headers that allow credentials, the tag script URL gets the
  fixture tag, and any other path gets 404.
- Segment: the analytics.js download gets the fixture analytics.js, the CDN
  settings get the scenario's destination settings, and every call posted to
  Segment's API gets `{"success": true}`.
- Anything else is aborted and recorded.

A live policy routes only Pinterest's and Segment's hosts (and the fixture
helper scripts when it answers scripts), and lets through to the network
whatever it does not answer. Whatever the policy, the calls posted to
Segment's API and the CDN settings responses are recorded from the
browser's request and response events, so they are recorded also when the
network answers them.

NOTE: Playwright continues, unrouted, a request it cannot tie to a frame or a
service worker (read in 1.65's Chromium network manager); such a request is
neither answered locally nor recorded.
"""

from __future__ import annotations

import json
import logging
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlsplit

from playwright.sync_api import BrowserContext, Request, Response, Route
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from harness.fixture_server import FIXTURES_DIR
from harness.wire import TagRequest, decode_request, is_pinterest_host

log = logging.getLogger(__name__)

TAG_SCRIPT_HOST = "s.pinimg.com"
TAG_SCRIPT_PATH = "/ct/core.js"
SEGMENT_CDN_HOST = "cdn.segment.com"
SEGMENT_API_HOST = "api.segment.io"
SEGMENT_DOMAINS = ("segment.com", "segment.io")
DESTINATION_NAME = "Pinterest Tag"

# Relative to the fixtures folder.
TAG_SCRIPT_FIXTURE = Path("pinterest/core.js")
ANALYTICS_FIXTURE = Path("segment/analytics.js")
# The fixture analytics.js loads these from the page's own origin, so a live
# policy that serves scripts serves them from the fixtures on any host.
HELPER_SCRIPT_PATHS = ("/segment/facade.js", "/segment/pinterest-destination.js")

# The handling of requests to Pinterest's hosts, one of PINTEREST_HANDLING.
PINTEREST_ANSWER = "answer"  # the harness responds itself and sends nothing to Pinterest
PINTEREST_FORWARD = "forward"  # recorded, then sent on to Pinterest
PINTEREST_UNROUTED = "unrouted"  # not routed: a proxy outside the browser captures them
PINTEREST_HANDLING = (PINTEREST_ANSWER, PINTEREST_FORWARD, PINTEREST_UNROUTED)

_ANALYTICS_PATH = re.compile(r"/analytics\.js/v1/[^/]+/analytics(?:\.min)?\.js")
_SETTINGS_PATH = re.compile(r"/v1/projects/[^/]+/settings")
_LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")

# A transparent 1x1 GIF: header, screen descriptor with a 2-colour table,
# a graphic control extension marking colour 0 transparent, one image.
PIXEL_GIF = bytes.fromhex(
    "474946383961" "01000100" "800000" "000000" "ffffff"
    "21f90401000000" "00"
    "2c000000000100010000" "02024401" "00" "3b"
)

_SCRIPT_TYPE = "text/javascript; charset=utf-8"


@dataclass(frozen=True)
class RoutePolicy:
    """The requests a Capture responds to itself; the rest go to the network or are aborted.

    `answer_scripts` serves analytics.js (and its helper scripts), the CDN
    settings and core.js from the fixtures. `answer_segment_api` answers the
    calls posted to Segment's API locally. `pinterest` is one of
    PINTEREST_HANDLING. `block_other_hosts` aborts every other request that
    is not for a loopback address, and `blocked_hosts` aborts requests to
    these hosts (and their subdomains), as an ad blocker would.
    """

    answer_scripts: bool = True
    answer_segment_api: bool = True
    pinterest: str = PINTEREST_ANSWER
    block_other_hosts: bool = True
    blocked_hosts: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.pinterest not in PINTEREST_HANDLING:
            raise ValueError(f"RoutePolicy.pinterest: expected one of {', '.join(PINTEREST_HANDLING)}, got {self.pinterest!r}")


# The offline fixture world: Segment and Pinterest served locally, every other host aborted.
FIXTURE_POLICY = RoutePolicy()


@dataclass
class CapturedRequest:
    """One request the page made, as the browser sent it."""

    method: str
    url: str
    body: bytes | None
    content_type: str | None
    resource_type: str  # Playwright's: "image", "xhr", "fetch", "document", "script", ...
    frame_url: str | None  # the frame that made it (for a form posted into an iframe, that iframe)
    page_url: str | None  # the top-level page of that frame
    time: float  # seconds since the epoch
    tag: TagRequest | None = None  # the decoded request, for requests to Pinterest's hosts


@dataclass
class SegmentCall:
    """One call the page posted to Segment's API."""

    endpoint: str  # the last path segment: "p" (page), "t" (track), "i" (identify), "batch", ...
    payload: Any  # the JSON body, or None when the body is not JSON
    request: CapturedRequest

    @property
    def page_url(self) -> str | None:
        """The top-level page that made the call."""
        return self.request.page_url


@dataclass
class SettingsResponse:
    """One response to a page's request for its Segment CDN settings."""

    request: CapturedRequest
    status: int
    document: Any  # the JSON body, or None when it is not JSON

    @property
    def destination_settings(self) -> Any:
        """The Pinterest Tag destination's settings in this answer, or None when it has none."""
        if not isinstance(self.document, dict):
            return None
        integrations = self.document.get("integrations")
        if not isinstance(integrations, dict):
            return None
        return integrations.get(DESTINATION_NAME)


class Capture:
    """Routes and records for one browser context.

    `settings` are the Pinterest destination settings served from Segment's
    CDN when the policy answers scripts; None serves no Pinterest
    destination. Changing them affects pages loaded afterwards.
    """

    def __init__(
        self,
        settings: dict[str, Any] | None = None,
        fixtures_dir: Path | str = FIXTURES_DIR,
        policy: RoutePolicy = FIXTURE_POLICY,
    ) -> None:
        self.settings = settings
        self.fixtures_dir = Path(fixtures_dir)
        self.policy = policy
        self.requests: list[CapturedRequest] = []
        self.segment_calls: list[SegmentCall] = []
        # Every request to Segment's hosts, answered locally or not, in order.
        self.segment_requests: list[CapturedRequest] = []
        self.settings_responses: list[SettingsResponse] = []
        # With PINTEREST_UNROUTED: the Pinterest requests the browser made,
        # decoded, for matching with what the proxy recorded.
        self.unrouted_pinterest_requests: list[CapturedRequest] = []
        self.blocked: list[CapturedRequest] = []
        self._context: BrowserContext | None = None
        self._in_flight: set[Request] = set()
        self._last_activity = time.monotonic()

    @property
    def tag_requests(self) -> list[TagRequest]:
        """Every request to a Pinterest host, decoded, the tag script download included."""
        return [captured.tag for captured in self.requests if captured.tag is not None]

    @property
    def fetched_settings(self) -> list[Any]:
        """The Pinterest Tag settings of each CDN settings answer the pages received, in order (None: no destination)."""
        return [response.destination_settings for response in self.settings_responses if 200 <= response.status < 300]

    def install(self, context: BrowserContext) -> None:
        """Route the context's requests through this capture, from now on."""
        self._context = context
        context.route(self._is_routed, self._handle)
        context.on("request", self._on_request_started)
        context.on("requestfinished", self._on_request_ended)
        context.on("requestfailed", self._on_request_ended)
        context.on("response", self._on_response)

    def note_activity(self) -> None:
        """Restart the quiet period, as after a request; drivers call it after each page action."""
        self._last_activity = time.monotonic()

    def wait_for_tag_requests(self, count: int, *, endpoint: str | None = "v3", timeout: float = 10.0) -> list[TagRequest]:
        """Wait until `count` requests to `endpoint` ("v3", "user", "other", or None for any) were captured.

        Returns every captured request to that endpoint. Raises TimeoutError
        after `timeout` seconds, listing what was captured.
        """

        def matching() -> list[TagRequest]:
            return [tag for tag in self.tag_requests if endpoint is None or tag.endpoint == endpoint]

        deadline = time.monotonic() + timeout
        while len(matching()) < count:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                expected = f"/{endpoint}/ requests" if endpoint else "Pinterest requests"
                raise TimeoutError(
                    f"Timed out after {timeout:g} s waiting for {count} {expected}; "
                    f"captured {len(matching())}. All Pinterest requests so far: {self._describe_requests()}"
                )
            # The route records a request before fulfilling it, so its
            # requestfinished event comes after the list has grown.
            # NOTE: when that request fails instead (its page navigated
            # away), this wait returns only at the deadline, without error.
            self._wait_for_event("requestfinished", lambda _request: len(matching()) >= count, remaining)
        return matching()

    def wait_for_quiet(self, *, idle_ms: float = 500, timeout: float = 10.0) -> None:
        """Wait until no Pinterest or Segment request has been in flight or started for `idle_ms`.

        The quiet period also restarts at each note_activity(). Once it has
        passed, each open page runs an empty script: on a loaded machine the
        page's JavaScript or the Playwright driver can lag, and a request that
        was still on its way shows up during that round trip and restarts the
        wait. Raises TimeoutError when the network is not quiet within
        `timeout` seconds.
        """
        idle = idle_ms / 1000
        deadline = time.monotonic() + timeout
        pages_failed = False
        while True:
            now = time.monotonic()
            quiet_for = now - self._last_activity
            if not self._in_flight and quiet_for >= idle:
                before = self._last_activity
                settled = self._round_trip_to_pages()
                if not settled and not pages_failed:
                    # A page was navigating; give it one more quiet period.
                    pages_failed = True
                    self.note_activity()
                    continue
                if self._in_flight or self._last_activity != before:
                    continue
                return
            if now >= deadline:
                raise TimeoutError(
                    f"Timed out after {timeout:g} s waiting for {idle_ms:g} ms without Pinterest or Segment "
                    f"requests; {len(self._in_flight)} in flight: {[_without_query(request.url) for request in self._in_flight]}"
                )
            if self._in_flight:
                # Wait for one to finish; a failed one is noticed at the next pass, within `idle`.
                self._wait_for_event("requestfinished", _is_tracked_request, min(idle, deadline - now))
            else:
                self._wait_for_event("request", _is_tracked_request, min(idle - quiet_for, deadline - now))

    def _round_trip_to_pages(self) -> bool:
        """Run an empty script in each open page's main frame; return False when one could not run it.

        NOTE: a page whose main thread never yields (an endless loop) blocks this call without a timeout.
        """
        if self._context is None:
            raise RuntimeError("The capture is not installed on a browser context; call install() first.")
        settled = True
        for page in self._context.pages:
            try:
                page.evaluate("0")
            except PlaywrightError:
                settled = False  # it navigated or closed meanwhile
        return settled

    def _wait_for_event(self, event: str, predicate: Callable[[Request], bool], timeout: float) -> None:
        if self._context is None:
            raise RuntimeError("The capture is not installed on a browser context; call install() first.")
        # Playwright reads a timeout of 0 as "no timeout".
        timeout_ms = max(timeout * 1000, 1)
        try:
            self._context.wait_for_event(event, predicate=predicate, timeout=timeout_ms)
        except PlaywrightTimeoutError:
            pass

    def _describe_requests(self) -> str:
        # Without query strings, which may carry a plain email address.
        if not self.requests:
            return "none"
        descriptions = []
        for captured in self.requests:
            description = f"{captured.method} {_without_query(captured.url)}"
            if captured.tag is not None and captured.tag.event is not None:
                description += f" (event={captured.tag.event})"
            descriptions.append(description)
        return "; ".join(descriptions)

    def _is_routed(self, url: str) -> bool:
        host, path = _host_and_path(url)
        if _matches_host(host, self.policy.blocked_hosts):
            return True
        if is_pinterest_host(host) and self.policy.pinterest == PINTEREST_UNROUTED:
            # Only the tag script may be served here; the rest must reach the proxy untouched.
            return self.policy.answer_scripts and host == TAG_SCRIPT_HOST and path == TAG_SCRIPT_PATH
        if self.policy.block_other_hosts:
            return host not in _LOOPBACK_HOSTS
        if is_pinterest_host(host) or _matches_host(host, SEGMENT_DOMAINS):
            return True
        return self.policy.answer_scripts and path in HELPER_SCRIPT_PATHS

    def _on_request_started(self, request: Request) -> None:
        if not _is_tracked_request(request):
            return
        self._in_flight.add(request)
        self._last_activity = time.monotonic()
        host, path = _host_and_path(request.url)
        if is_pinterest_host(host):
            if self.policy.pinterest == PINTEREST_UNROUTED:
                self.unrouted_pinterest_requests.append(_observe_decoded(request))
            return
        captured = _observe(request)
        self.segment_requests.append(captured)
        if host == SEGMENT_API_HOST and path.startswith("/v1/"):
            self._record_segment_call(captured, path)

    def _on_response(self, response: Response) -> None:
        host, path = _host_and_path(response.url)
        if host != SEGMENT_CDN_HOST or not _SETTINGS_PATH.fullmatch(path):
            return
        try:
            body = response.body()
        except PlaywrightError as error:
            log.warning("could not read the Segment CDN settings response for %s: %s", response.url, error)
            body = b""
        try:
            document = json.loads(body.decode("utf-8")) if body else None
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            log.warning("the Segment CDN settings response for %s is not JSON (%s)", response.url, error)
            document = None
        self.settings_responses.append(SettingsResponse(_observe(response.request), response.status, document))

    def _on_request_ended(self, request: Request) -> None:
        if request in self._in_flight:
            self._in_flight.discard(request)
            self._last_activity = time.monotonic()

    def _handle(self, route: Route, request: Request) -> None:
        try:
            self._respond(route, request)
        except Exception:
            # Playwright leaves a request pending forever when its handler raises.
            log.exception("route handler failed for %s %s; aborting the request", request.method, request.url)
            route.abort("failed")

    def _respond(self, route: Route, request: Request) -> None:
        host, path = _host_and_path(request.url)
        policy = self.policy
        if _matches_host(host, policy.blocked_hosts):
            self._block(route, request)
        elif is_pinterest_host(host):
            self._answer_pinterest(route, request, host, path)
        elif host == SEGMENT_CDN_HOST and _ANALYTICS_PATH.fullmatch(path) and policy.answer_scripts:
            self._fulfill_fixture(route, ANALYTICS_FIXTURE)
        elif host == SEGMENT_CDN_HOST and _SETTINGS_PATH.fullmatch(path) and policy.answer_scripts:
            body = {"integrations": {DESTINATION_NAME: self.settings} if self.settings is not None else {}}
            route.fulfill(status=200, headers=_cors_headers(request), json=body)
        elif host == SEGMENT_API_HOST and path.startswith("/v1/") and policy.answer_segment_api:
            route.fulfill(status=200, headers=_cors_headers(request), json={"success": True})
        elif path in HELPER_SCRIPT_PATHS and policy.answer_scripts and not policy.block_other_hosts:
            self._fulfill_fixture(route, Path(path.lstrip("/")))
        elif policy.block_other_hosts:
            self._block(route, request)
        else:
            route.continue_()

    def _block(self, route: Route, request: Request) -> None:
        self.blocked.append(_observe(request))
        log.debug("blocked %s %s", request.method, request.url)
        route.abort("blockedbyclient")

    def _answer_pinterest(self, route: Route, request: Request, host: str, path: str) -> None:
        is_tag_script = host == TAG_SCRIPT_HOST and path == TAG_SCRIPT_PATH
        captured = _observe_decoded(request)
        self.requests.append(captured)

        headers = _cors_headers(request)
        if is_tag_script and self.policy.answer_scripts:
            self._fulfill_fixture(route, TAG_SCRIPT_FIXTURE)
        elif self.policy.pinterest != PINTEREST_ANSWER or is_tag_script:
            route.continue_()
        elif request.method == "OPTIONS":
            # Playwright (read in 1.65's Chromium network manager) responds to
            # CORS preflights itself while routes are set, so only a page's
            # own OPTIONS request reaches this branch.
            headers["access-control-allow-methods"] = "GET, POST, OPTIONS"
            requested_headers = request.headers.get("access-control-request-headers")
            if requested_headers:
                headers["access-control-allow-headers"] = requested_headers
            route.fulfill(status=204, headers=headers, body=b"")
        elif captured.tag.endpoint == "v3":
            route.fulfill(status=200, headers=headers, content_type="image/gif", body=PIXEL_GIF)
        elif captured.tag.endpoint == "user":
            # The tag sends a track's /v3/ event only after /user/ returned JSON.
            route.fulfill(status=200, headers=headers, json={})
        else:
            route.fulfill(status=404, headers=headers, content_type="text/plain", body="Not answered by pintrk-harness.")

    def _record_segment_call(self, captured: CapturedRequest, path: str) -> None:
        try:
            payload = json.loads(captured.body.decode("utf-8")) if captured.body else None
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            log.warning("Segment call to %s has a body that is not JSON (%s); payload recorded as None", captured.url, error)
            payload = None
        endpoint = path.rstrip("/").rsplit("/", 1)[-1]
        self.segment_calls.append(SegmentCall(endpoint=endpoint, payload=payload, request=captured))

    def _fulfill_fixture(self, route: Route, relative_path: Path) -> None:
        path = self.fixtures_dir / relative_path
        if not path.is_file():
            log.warning("fixture %s is missing; responding to %s with 404", path, route.request.url)
            route.fulfill(status=404, content_type="text/plain", body=f"Fixture {path} is missing.")
            return
        route.fulfill(status=200, path=path, content_type=_SCRIPT_TYPE)


def _host_and_path(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return (parts.hostname or "").lower().rstrip("."), parts.path


def _matches_host(host: str, domains: tuple[str, ...]) -> bool:
    """Tell whether a host is one of the domains or a subdomain of one."""
    return any(host == domain or host.endswith("." + domain) for domain in domains)


def _is_tracked_request(request: Request) -> bool:
    """Tell whether a request goes to Pinterest or Segment (the requests wait_for_quiet watches)."""
    host = _host_and_path(request.url)[0]
    return is_pinterest_host(host) or _matches_host(host, SEGMENT_DOMAINS)


def _without_query(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


def _cors_headers(request: Request) -> dict[str, str]:
    origin = request.headers.get("origin")
    if not origin:
        return {}
    return {
        "access-control-allow-origin": origin,
        "access-control-allow-credentials": "true",
        "vary": "Origin",
    }


def _observe_decoded(request: Request) -> CapturedRequest:
    captured = _observe(request)
    captured.tag = decode_request(captured.url, captured.method, captured.body, captured.content_type)
    captured.tag.time = captured.time
    return captured


def _observe(request: Request) -> CapturedRequest:
    frame_url = page_url = None
    try:
        frame = request.frame
        frame_url = frame.url
        page_url = frame.page.url
    except PlaywrightError:
        pass  # A service worker's request has no frame.
    return CapturedRequest(
        method=request.method,
        url=request.url,
        body=request.post_data_buffer,
        content_type=request.headers.get("content-type"),
        resource_type=request.resource_type,
        frame_url=frame_url,
        page_url=page_url,
        time=time.time(),
    )
