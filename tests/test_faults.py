"""Faults on a live site, each reproduced on 127.0.0.1 and diagnosed by name within a few seconds."""

from __future__ import annotations

import http.server
import socket
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any, Iterator

import pytest

from harness.browser import HarnessBrowser
from harness.check import CheckResult, run_check
from harness.sites import parse_profile
from live_site import SITE_DIR, SITE_HOST, SiteServer, VendorServer, site_options, site_server, vendor_server

pytestmark = pytest.mark.browser

# Every fault must be named within this many seconds, so no diagnosis waits for
# a long default. The profiles below wait at most 10 s for a page and 1.5 s for the tag.
DIAGNOSIS_BOUND = 30.0


@pytest.fixture(scope="module")
def site() -> Iterator[SiteServer]:
    yield from site_server()


@pytest.fixture(scope="module")
def vendor_tls() -> Iterator[VendorServer]:
    yield from vendor_server()


@pytest.fixture
def vendors(vendor_tls: VendorServer) -> VendorServer:
    vendor_tls.reset()
    return vendor_tls


def profile(tmp_path: Path, start_url: str, steps: list[dict[str, Any]] | None = None, **keys: Any) -> Any:
    document = {
        "name": "fault",
        "start_url": start_url,
        "settings": "auto",
        "fixture_settings": str(SITE_DIR / "settings.json"),
        # Page loads get room on a loaded machine; the test of a page that never loads sets its own short timeout.
        "timeout": 10,
        "tag_wait": 1.5,
        "steps": steps or [],
    }
    document.update(keys)
    return parse_profile(document, tmp_path / "fault.yaml")


def check(harness_browser: HarnessBrowser, tmp_path: Path, site: SiteServer, start_url: str, *, steps=None, keys=None, **options: Any) -> CheckResult:
    vendors = options.pop("vendors", None)
    run_options = site_options(tmp_path, site, vendors, **options)
    return run_check(profile(tmp_path, start_url, steps, **(keys or {})), run_options, harness_browser)


def assert_diagnosed(result: CheckResult, name: str) -> None:
    assert result.diagnosis is not None, f"no diagnosis; broken: {result.broken}"
    assert result.diagnosis.name == name, result.diagnosis
    assert result.broken == f"{name}: {result.diagnosis.message}"
    assert result.duration < DIAGNOSIS_BOUND
    assert not result.ok


class StatusServer:
    """An HTTP server on 127.0.0.1 that responds to every request with one status."""

    def __init__(self, status: int) -> None:
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = b"<h1>Service Unavailable</h1>"
                self.send_response(status)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.address = f"127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "StatusServer":
        self.thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.server.shutdown()
        self.server.server_close()


# ---- the page --------------------------------------------------------------------


def test_host_not_found(harness_browser: HarnessBrowser, site: SiteServer, tmp_path: Path) -> None:
    # .invalid never resolves, and with only mapped hosts Chromium fails the lookup itself, sending no DNS query.
    result = check(harness_browser, tmp_path, site, "http://shop.invalid/")
    assert_diagnosed(result, "host-not-found")
    assert "shop.invalid was not found" in result.diagnosis.message


def test_connection_refused(harness_browser: HarnessBrowser, site: SiteServer, tmp_path: Path) -> None:
    with socket.socket() as bound:
        bound.bind(("127.0.0.1", 0))  # bound but not listening: connections are refused
        port = bound.getsockname()[1]
        result = check(harness_browser, tmp_path, site, f"http://{SITE_HOST}/", host_map={SITE_HOST: f"127.0.0.1:{port}"})
    assert_diagnosed(result, "connection-refused")
    assert "refused the connection" in result.diagnosis.message


def test_page_timeout(harness_browser: HarnessBrowser, site: SiteServer, tmp_path: Path) -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)  # connections complete, but no response ever comes
        port = silent.getsockname()[1]
        result = check(harness_browser, tmp_path, site, f"http://{SITE_HOST}/", keys={"timeout": 2}, host_map={SITE_HOST: f"127.0.0.1:{port}"})
    assert_diagnosed(result, "page-timeout")
    assert "did not finish loading in time" in result.diagnosis.message


def test_server_error(harness_browser: HarnessBrowser, site: SiteServer, tmp_path: Path) -> None:
    with StatusServer(503) as failing:
        result = check(harness_browser, tmp_path, site, f"http://{SITE_HOST}/", host_map={SITE_HOST: failing.address})
    assert_diagnosed(result, "server-error")
    assert "responded with HTTP 503" in result.diagnosis.message


# ---- the tag script ----------------------------------------------------------------


def test_tag_script_not_found(harness_browser: HarnessBrowser, site: SiteServer, vendors: VendorServer, tmp_path: Path) -> None:
    vendors.behaviour.tag_script_status = 404
    vendors.behaviour.tag_script_type = "text/javascript"
    result = check(harness_browser, tmp_path, site, f"http://{SITE_HOST}/stores.html", vendors=vendors)
    assert_diagnosed(result, "tag-script-missing")
    assert "https://s.pinimg.com/ct/core.js responded with HTTP 404" in result.diagnosis.message


def test_tag_script_error_page(harness_browser: HarnessBrowser, site: SiteServer, vendors: VendorServer, tmp_path: Path) -> None:
    # An HTML error page for a script: Chromium's ORB blocks it and reports no status.
    vendors.behaviour.tag_script_status = 404
    vendors.behaviour.tag_script_type = "text/html"
    result = check(harness_browser, tmp_path, site, f"http://{SITE_HOST}/stores.html", vendors=vendors)
    assert_diagnosed(result, "tag-script-missing")
    assert "ERR_BLOCKED_BY_ORB" in result.diagnosis.message


def test_tag_script_fixture_missing(harness_browser: HarnessBrowser, site: SiteServer, tmp_path: Path) -> None:
    # Offline scripts from a fixtures folder without core.js: the route responds with 404.
    empty_fixtures = tmp_path / "fixtures"
    empty_fixtures.mkdir()
    result = check(harness_browser, tmp_path, site, f"http://{SITE_HOST}/stores.html", offline_scripts=True, fixtures_dir=empty_fixtures)
    assert_diagnosed(result, "tag-script-missing")


def test_tag_script_blocked(harness_browser: HarnessBrowser, site: SiteServer, tmp_path: Path) -> None:
    result = check(harness_browser, tmp_path, site, f"http://{SITE_HOST}/stores.html", offline_scripts=True, blocked_hosts=["s.pinimg.com"])
    assert_diagnosed(result, "tag-script-blocked")
    assert result.diagnosis.message.endswith("did not load: net::ERR_BLOCKED_BY_CLIENT")


# ---- Content-Security-Policy -------------------------------------------------------


@pytest.mark.proxy
@pytest.mark.parametrize("capture", ["routes", "proxy"])
def test_csp_blocks_pinterest(harness_browser: HarnessBrowser, site: SiteServer, tmp_path: Path, capture: str) -> None:
    result = check(harness_browser, tmp_path, site, f"http://{SITE_HOST}/secure.html", offline_scripts=True, capture=capture)
    assert_diagnosed(result, "csp-blocks-pinterest")
    assert "ct.pinterest.com" in result.diagnosis.message
    assert "img-src 'self'" in result.diagnosis.message


# ---- /user/ ------------------------------------------------------------------------


def test_user_request_failing(harness_browser: HarnessBrowser, site: SiteServer, vendors: VendorServer, tmp_path: Path) -> None:
    vendors.behaviour.user_status = 500
    steps = [{"click": "#store-visit"}]
    result = check(harness_browser, tmp_path, site, f"http://{SITE_HOST}/stores.html", steps=steps, vendors=vendors, send_to_pinterest=True)
    sent_events = [request.path for request in vendors.requests_to("ct.pinterest.com") if request.path.startswith("/v3/")]
    assert_diagnosed(result, "user-request-failed")
    assert "/user/ responded with HTTP 500" in result.diagnosis.message
    assert "sent 0 of the page's 1 track events" in result.diagnosis.message
    assert len(sent_events) == 1  # the page's init event only


# ---- silence: consent, or no tag at all --------------------------------------------


def test_consent_banner_holds_tag(harness_browser: HarnessBrowser, site: SiteServer, tmp_path: Path) -> None:
    result = check(harness_browser, tmp_path, site, f"http://{SITE_HOST}/consent.html", offline_scripts=True)
    assert_diagnosed(result, "consent-pending")
    assert "element div#cookie-banner" in result.diagnosis.message
    assert "within 1.5 s" in result.diagnosis.message


def test_consent_accepted_passes(harness_browser: HarnessBrowser, site: SiteServer, tmp_path: Path) -> None:
    steps = [{"click": "#accept-cookies", "expect": {"event": "PageVisit"}}]
    result = check(harness_browser, tmp_path, site, f"http://{SITE_HOST}/consent.html", steps=steps, offline_scripts=True)
    assert result.diagnosis is None
    assert result.ok, result.broken


def test_no_tag_on_page(harness_browser: HarnessBrowser, site: SiteServer, tmp_path: Path) -> None:
    result = check(harness_browser, tmp_path, site, f"http://{SITE_HOST}/about.html")
    assert_diagnosed(result, "no-tag-activity")
    assert "loaded neither analytics.js nor core.js" in result.diagnosis.message


# ---- the command -------------------------------------------------------------------


def test_cli_exit_two_with_name(tmp_path: Path) -> None:
    profile_path = tmp_path / "missing-host.yaml"
    profile_path.write_text("start_url: http://shop.invalid/\ntimeout: 2\n", encoding="utf-8")
    command = [sys.executable, "-m", "harness.cli", "check", str(profile_path), "--only-mapped-hosts", "--keep-artifacts", "never", "--output-dir", str(tmp_path)]
    completed = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert completed.returncode == 2
    assert "DIAGNOSIS host-not-found: shop.invalid was not found" in completed.stdout
    assert "hint: " in completed.stdout
