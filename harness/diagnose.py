"""Name what kept a check from seeing the tag work: the page, the tag script, CSP, /user/, consent.

Pure: the check collects Observations in the browser and diagnose() returns
one Diagnosis (a name, a message and a hint) or None. Faults are tried in
order, the first that applies wins:

1. the start page did not load: `host-not-found`, `connection-refused`,
   `page-timeout`, `page-load-failed`, `server-error` for an HTTP 5xx, or `page-not-found` for a 4xx;
2. `csp-blocks-pinterest`: the page's Content-Security-Policy blocked a
   request to a Pinterest host;
3. `tag-script-missing` (an HTTP error for core.js, or pintrk called but
   core.js never requested) and `tag-script-blocked` (the request failed);
4. `user-request-failed`: a `/user/` request failed or did not return JSON,
   and the tag sent fewer track events than the page made track calls,
   because the tag sends a track event only after `/user/` returned JSON;
5. silence (no pintrk call and no Pinterest request within the wait):
   `consent-pending` when a consent banner, a consent manager (CMP) API or
   a consent cookie is present, else `no-tag-activity`.

The consent heuristic is a guess from signals, never proof: a CMP that is
present but already consented would not hold the tag back, so it is only
named when the tag stayed silent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from harness.wire import split_url

TAG_SCRIPT_HOST = "s.pinimg.com"
TAG_SCRIPT_PATH = "/ct/core.js"

# Global objects that consent managers define. __tcfapi and __gpp are the
# IAB TCF v2 and GPP APIs that most commercial CMPs implement.
CMP_GLOBALS = ("__tcfapi", "__gpp", "__cmp", "OneTrust", "Optanon", "Cookiebot", "UC_UI", "Didomi", "Osano", "klaro", "CookieConsent")

# Banner elements of common consent managers, as CSS selectors.
CMP_SELECTORS = (
    "#onetrust-banner-sdk",
    "#onetrust-consent-sdk",
    "#CybotCookiebotDialog",
    "#usercentrics-root",
    "#didomi-host",
    "#truste-consent-track",
    ".qc-cmp2-container",
    ".osano-cm-window",
    "#cookiescript_injected",
    ".cc-window",
    "#cmplz-cookiebanner-container",
    "#klaro",
)

# Cookies that consent managers set, matched against the whole name.
CMP_COOKIE_PATTERNS = tuple(
    re.compile(pattern, re.IGNORECASE)
    for pattern in (
        r"OptanonConsent",
        r"OptanonAlertBoxClosed",
        r"CookieConsent",
        r"euconsent(-v2)?",
        r"__gpp",
        r"usprivacy",
        r"didomi_token",
        r"uc_settings|uc_user_interaction",
        r"tracking-preferences",
        r"cmplz_.*",
        r"cookieyes-consent",
        r"osano_consentmanager.*",
        r"klaro",
        r".*cookie[_-]?consent.*",
        r".*consent[_-]?(status|given|state)?",
    )
)

# Chromium's network error codes, as Playwright reports them.
_HOST_NOT_FOUND = ("ERR_NAME_NOT_RESOLVED", "ERR_NAME_RESOLUTION_FAILED")
_CONNECTION_REFUSED = ("ERR_CONNECTION_REFUSED",)
_TIMEOUT = re.compile(r"\bTimeout\b|ERR_TIMED_OUT|ERR_CONNECTION_TIMED_OUT", re.IGNORECASE)
_NET_ERROR = re.compile(r"net::(ERR_[A-Z_]+)")
# Chromium blocks an error page (HTML, XML) sent in response to a script request, and reports no status.
_NOT_A_SCRIPT = ("ERR_BLOCKED_BY_ORB", "ERR_BLOCKED_BY_RESPONSE")


@dataclass
class Diagnosis:
    """A named fault, with a one-line message and a hint on what to do about it."""

    name: str
    message: str
    hint: str

    def to_json(self) -> dict[str, str]:
        return {"name": self.name, "message": self.message, "hint": self.hint}


@dataclass
class RequestOutcome:
    """The outcome of one request to a Pinterest host, as the browser saw it."""

    url: str
    method: str = "GET"
    status: int | None = None  # None: no response (failed, or still pending)
    content_type: str | None = None
    failure: str | None = None  # Chromium's error text, such as "net::ERR_FAILED" or "csp"
    json_body: bool | None = None  # for /user/: whether the body was valid JSON; None when not read

    @property
    def endpoint(self) -> str:
        """The kind of request: "script" (core.js), "v3", "user" or "other"."""
        host, path, _ = split_url(self.url)
        if host == TAG_SCRIPT_HOST and path == TAG_SCRIPT_PATH:
            return "script"
        trimmed = path.rstrip("/")
        if trimmed in ("/v3", "/user"):
            return trimmed[1:]
        return "other"

    @property
    def failed(self) -> bool:
        """True when the request got no response or an HTTP error status."""
        if self.failure is not None:
            return True
        return self.status is not None and self.status >= 400


@dataclass
class ConsentSignals:
    """Signals that a consent manager may be holding tags back."""

    elements: list[str] = field(default_factory=list)  # visible banner elements, described
    globals: list[str] = field(default_factory=list)  # CMP globals defined on the page
    cookies: list[str] = field(default_factory=list)  # the name of every cookie in the browser context

    def found(self) -> list[str]:
        """Describe each signal found, cookies matched against CMP_COOKIE_PATTERNS."""
        found = [f"element {element}" for element in self.elements]
        found += [f"window.{name}" for name in self.globals]
        found += [f"cookie {name}" for name in self.cookies if _is_consent_cookie(name)]
        return found


@dataclass
class Observations:
    """The observations of one check run that a diagnosis reads."""

    start_url: str
    navigation_error: str | None = None  # the error text of loading the start page
    page_status: int | None = None  # the start page's HTTP status
    expects_tag: bool = True  # False when nothing needed the tag (no tag id expected, a fixture page without Segment)
    pinterest_requests: list[RequestOutcome] = field(default_factory=list)
    csp_messages: list[str] = field(default_factory=list)  # console messages about CSP that name a Pinterest host
    pintrk_commands: list[Any] = field(default_factory=list)  # the call log, as lists
    segment_loaded: bool = False  # a Segment CDN or API request was made
    destination_in_settings: bool | None = None  # whether the fetched settings had a Pinterest Tag; None: none fetched
    tag_wait: float = 0.0  # seconds waited for the tag after the last step
    through_proxy: bool = False  # the browser used the capture proxy, which responds with 502 when it cannot reach a host
    consent: ConsentSignals = field(default_factory=ConsentSignals)


def diagnose(observations: Observations) -> Diagnosis | None:
    """Return the first fault that explains the observations, or None when nothing is wrong."""
    for check in (_navigation, _server_error, _page_not_found, _csp, _tag_script, _user_request, _silence):
        diagnosis = check(observations)
        if diagnosis is not None:
            return diagnosis
    return None


def _navigation(observations: Observations) -> Diagnosis | None:
    error = observations.navigation_error
    if error is None:
        return None
    url = observations.start_url
    host = urlsplit(url).hostname or url
    if any(code in error for code in _HOST_NOT_FOUND):
        return Diagnosis(
            "host-not-found",
            f"{host} was not found: the browser could not resolve the host name of {url}",
            "Check the start_url for typos; for a staging site, map the host with --map-host HOST=ADDRESS:PORT.",
        )
    if any(code in error for code in _CONNECTION_REFUSED):
        return Diagnosis(
            "connection-refused",
            f"{host} refused the connection to {url}: nothing listens on that address and port",
            "Start the site's server, or check the port in start_url (and in --map-host).",
        )
    if _TIMEOUT.search(error):
        return Diagnosis(
            "page-timeout",
            f"{url} did not finish loading in time: {_first_line(error)}",
            "Raise the profile's timeout (seconds), or check why the server is slow to answer.",
        )
    code = _NET_ERROR.search(error)
    return Diagnosis(
        "page-load-failed",
        f"{url} failed to load: {code.group(1) if code else _first_line(error)}",
        "Open the URL in a browser to see the error; Chromium's net error list explains each code.",
    )


def _page_not_found(observations: Observations) -> Diagnosis | None:
    status = observations.page_status
    if status is None or not 400 <= status < 500:
        return None
    return Diagnosis(
        "page-not-found",
        f"{observations.start_url} responded with HTTP {status}, so there is no page to check",
        "Check start_url (for a fixture: URL, the path under fixtures/), and any login the page needs.",
    )


def _server_error(observations: Observations) -> Diagnosis | None:
    status = observations.page_status
    if status is None or status < 500:
        return None
    message = f"{observations.start_url} responded with HTTP {status}, a server error"
    hint = "Check the site's server logs; the tag cannot be checked on an error page."
    if observations.through_proxy and status == 502:
        message += " (from the capture proxy, which responds with 502 when the host is not found, refuses the connection or is not forwarded)"
        hint = "Open the URL without --capture proxy to see the browser's own error."
    return Diagnosis("server-error", message, hint)


def _csp(observations: Observations) -> Diagnosis | None:
    blocked = [request for request in observations.pinterest_requests if request.failure == "csp"]
    if not blocked and not observations.csp_messages:
        return None
    hosts = sorted({split_url(request.url)[0] for request in blocked})
    directives = _csp_directives(observations.csp_messages)
    what = f"{len(blocked)} request{'s' if len(blocked) != 1 else ''} to {', '.join(hosts)}" if blocked else "requests to Pinterest"
    because = f" (directive{'s' if len(directives) != 1 else ''} {'; '.join(directives)})" if directives else ""
    return Diagnosis(
        "csp-blocks-pinterest",
        f"the page's Content-Security-Policy blocked {what}{because}",
        "Allow https://s.pinimg.com in script-src and https://ct.pinterest.com in img-src, connect-src and "
        "form-action (and frame-src for the form POST of long events).",
    )


def _tag_script(observations: Observations) -> Diagnosis | None:
    scripts = [request for request in observations.pinterest_requests if request.endpoint == "script"]
    failed = [request for request in scripts if request.failed]
    if failed and not any(not request.failed for request in scripts):
        return _tag_script_failure(failed[0])
    calls = [command for command in observations.pintrk_commands if _command_name(command) in ("load", "page", "track")]
    if calls and not scripts and not any(request.endpoint in ("v3", "user") for request in observations.pinterest_requests):
        return Diagnosis(
            "tag-script-missing",
            f"the page called pintrk {len(calls)} times, but the tag script was never requested, so nothing was sent",
            "Install the full base code: its stub also adds the script https://s.pinimg.com/ct/core.js.",
        )
    return None


def _tag_script_failure(request: RequestOutcome) -> Diagnosis:
    missing_hint = "Load the tag from https://s.pinimg.com/ct/core.js as Pinterest's base code does."
    # An HTTP error status comes first: a 404 page can also fail afterwards, when Chromium aborts it.
    if request.status is not None and request.status >= 400:
        failure = f" ({request.failure})" if request.failure else ""
        return Diagnosis("tag-script-missing", f"the tag script {request.url} responded with HTTP {request.status}{failure}", missing_hint)
    if request.failure is not None and any(code in request.failure for code in _NOT_A_SCRIPT):
        return Diagnosis(
            "tag-script-missing",
            f"the tag script {request.url} responded with something other than JavaScript, probably an error page "
            f"(Chromium's Opaque Response Blocking rejected it: {request.failure})",
            missing_hint,
        )
    return Diagnosis(
        "tag-script-blocked",
        f"the tag script {request.url} did not load: {request.failure}",
        "An ad blocker, a proxy or a firewall blocks s.pinimg.com; allow it, or check the network.",
    )


def _user_request(observations: Observations) -> Diagnosis | None:
    users = [request for request in observations.pinterest_requests if request.endpoint == "user"]
    failed = [request for request in users if request.failed or request.json_body is False]
    if not failed:
        return None
    track_calls = sum(1 for command in observations.pintrk_commands if _command_name(command) == "track")
    track_events = sum(
        1
        for request in observations.pinterest_requests
        if request.endpoint == "v3" and not request.failed and _event_of(request.url) not in (None, "init")
    )
    if track_calls == 0 or track_events >= track_calls:
        return None
    first = failed[0]
    if first.failure is not None:
        why = f"failed ({first.failure})"
    elif first.failed:
        why = f"responded with HTTP {first.status}"
    else:
        why = f"responded with {first.content_type or 'a body'} that is not JSON"
    return Diagnosis(
        "user-request-failed",
        f"/user/ {why}, so the tag sent {track_events} of the page's {track_calls} track events: "
        "it sends a track event only after /user/ returned JSON",
        "Let https://ct.pinterest.com/user/ through (ad blockers, proxies and CSP connect-src can block it).",
    )


def _silence(observations: Observations) -> Diagnosis | None:
    if not observations.expects_tag or observations.pintrk_commands or observations.pinterest_requests:
        return None
    waited = f"{observations.tag_wait:.1f} s"
    signals = observations.consent.found()
    if signals:
        return Diagnosis(
            "consent-pending",
            f"no pintrk call and no request to Pinterest within {waited} after the last step, "
            f"and a consent manager is present ({', '.join(signals[:4])})",
            "The tag waits for consent: add a first step that accepts it, for example `click: \"#accept-cookies\"`.",
        )
    if not observations.segment_loaded:
        reason = "and the page loaded neither analytics.js nor core.js"
        hint = "Check that the page includes the Segment snippet or Pinterest's base code."
    elif observations.destination_in_settings is False:
        reason = "although analytics.js loaded: its Segment settings have no Pinterest Tag destination"
        hint = "Enable the Pinterest Tag destination for this source in Segment (with a tag id)."
    else:
        reason = "although analytics.js loaded"
        hint = "Check the Pinterest Tag destination's tag id in Segment, and the browser console for errors."
    return Diagnosis("no-tag-activity", f"no pintrk call and no request to Pinterest within {waited}, {reason}", hint)


def _csp_directives(messages: list[str]) -> list[str]:
    """Return each distinct directive that Chromium's console messages name, in order."""
    directives: list[str] = []
    for message in messages:
        match = re.search(r'directive:? "([^"]+)"', message)
        if match and match.group(1) not in directives:
            directives.append(match.group(1))
    return directives


def _command_name(command: Any) -> str | None:
    if isinstance(command, (list, tuple)) and command and isinstance(command[0], str):
        return command[0].strip().lower()
    return None


def _event_of(url: str) -> str | None:
    for pair in split_url(url)[2].split("&"):
        name, _, value = pair.partition("=")
        if name == "event":
            return value.lower()
    return None


def _is_consent_cookie(name: str) -> bool:
    return any(pattern.fullmatch(name) for pattern in CMP_COOKIE_PATTERNS)


def _first_line(text: str) -> str:
    stripped = text.strip()
    return stripped.splitlines()[0] if stripped else text
