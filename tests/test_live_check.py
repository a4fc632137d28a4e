"""Live checks on the live-like shop, served on 127.0.0.1 as shop.example, captured by routes and by the proxy."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import parse_qs, urlsplit

import pytest

from harness.browser import HarnessBrowser
from harness.check import CheckOptions, CheckResult, run_check
from harness.sites import load_profile, parse_profile
from live_site import SITE_DIR, SITE_HOST, TAG_ID, SiteServer, VendorServer, site_options, site_server, vendor_server

pytestmark = [pytest.mark.browser, pytest.mark.proxy]

REPOSITORY = Path(__file__).resolve().parents[1]
LIVE_LIKE = SITE_DIR / "live-like.yaml"
BASE_CODE = SITE_DIR / "base-code.yaml"
PLACEHOLDER_HASH = "24aba99b2defbb47ee981b4200313f61f3ae31541d8717bdac1e463c838939b0"


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


@pytest.fixture(scope="module")
def live_results(harness_browser: HarnessBrowser, site: SiteServer, tmp_path_factory: pytest.TempPathFactory) -> dict[str, CheckResult]:
    """The live-like profile, run once with each capture mode."""
    profile = load_profile(LIVE_LIKE)
    results = {}
    for capture in ("routes", "proxy"):
        options = site_options(tmp_path_factory.mktemp(capture), site, capture=capture)
        results[capture] = run_check(profile, options, harness_browser)
    return results


def failures(result: CheckResult) -> str:
    reasons = [verdict.reason for page in result.pages for verdict in page.match.failures]
    reasons += [outcome.reason for outcome in result.expectation_results if not outcome.passed]
    reasons += [f"{finding.rule_id}: {finding.message}" for finding in result.lint_errors]
    if result.broken:
        reasons.append(f"run broken: {result.broken}")
    return "\n".join(reasons)


def normalised(result: CheckResult) -> list[Any]:
    """What a capture mode must not change: each verdict, its events and data, and the expectations."""
    rows: list[Any] = []
    for verification in result.pages:
        for verdict in verification.match.verdicts:
            observed = verdict.observed
            data = {key: value for key, value in (observed.ed or {}).items() if key != "event_id"} if observed else None
            em = observed.pd.get("em") if observed and isinstance(observed.pd, dict) else None
            rows.append((verification.page.url, verdict.status, verdict.expected.event if verdict.expected else None, observed.event if observed else None, data, em))
    rows += [(outcome.step, outcome.passed) for outcome in result.expectation_results]
    rows += [(finding.rule_id, finding.request_index) for finding in result.findings]
    rows.append(result.page_models)
    return rows


# ---- the live-like shop, both capture modes ---------------------------------------


@pytest.mark.parametrize("capture", ["routes", "proxy"])
def test_live_like_passes(live_results: dict[str, CheckResult], capture: str) -> None:
    result = live_results[capture]
    assert result.ok, failures(result)
    assert result.capture == capture
    assert result.diagnosis is None


@pytest.mark.parametrize("capture", ["routes", "proxy"])
def test_auto_settings_from_fetched(live_results: dict[str, CheckResult], capture: str) -> None:
    result = live_results[capture]
    assert result.profile.settings is None
    assert result.settings.tid == TAG_ID
    assert result.settings.pinterest_event_mapping == {"Signed Up": "Signup"}


@pytest.mark.parametrize("capture", ["routes", "proxy"])
def test_pages_under_real_host(live_results: dict[str, CheckResult], capture: str) -> None:
    urls = [verification.page.url for verification in live_results[capture].pages]
    assert urls == [
        f"http://{SITE_HOST}/",
        f"http://{SITE_HOST}/product.html",
        f"http://{SITE_HOST}/signup.html",
        f"http://{SITE_HOST}/thanks.html?order=RL-5001",
    ]


def test_capture_modes_agree(live_results: dict[str, CheckResult]) -> None:
    assert normalised(live_results["proxy"]) == normalised(live_results["routes"])


def test_proxy_requests_decoded_by_proxy(live_results: dict[str, CheckResult]) -> None:
    # The proxy's TagRequest keeps the URL as the proxy saw it, and a time taken from the browser.
    requests = [request for verification in live_results["proxy"].pages for request in verification.page.tag_requests]
    events = [request for request in requests if request.endpoint == "v3"]
    assert [request.event for request in events][:3] == ["init", "PageVisit", "init"]
    assert all(request.url.startswith("https://ct.pinterest.com/") for request in events)
    assert all(request.time is not None for request in events)


def test_fixture_profile_through_proxy(harness_browser: HarnessBrowser, tmp_path: Path) -> None:
    # The demo shop's offline fixtures, captured by the proxy: each request is captured once, not by a route too.
    document = {
        "name": "demo shop through the proxy",
        "start_url": "fixture:pages/shop/category.html",
        "fixture_settings": str(REPOSITORY / "fixtures" / "pages" / "shop" / "settings.json"),
        "settings": {"file": str(REPOSITORY / "fixtures" / "pages" / "shop" / "settings.json")},
        "steps": [{"select": {"selector": "#filter-color", "value": "blue"}, "expect": {"event": "Search"}}],
    }
    profile = parse_profile(document, tmp_path / "demo.yaml")
    result = run_check(profile, CheckOptions(output_dir=tmp_path, keep_artifacts="never", capture="proxy"), harness_browser)
    events = [request.event for verification in result.pages for request in verification.page.tag_requests if request.endpoint == "v3"]
    assert result.ok, failures(result)
    assert events == ["init", "ViewCategory", "Search"]


# ---- the base code page ------------------------------------------------------------


@pytest.mark.parametrize("capture", ["routes", "proxy"])
def test_base_code_placeholder_fails(harness_browser: HarnessBrowser, site: SiteServer, tmp_path: Path, capture: str) -> None:
    result = run_check(load_profile(BASE_CODE), site_options(tmp_path, site, capture=capture), harness_browser)
    placeholder = [finding for finding in result.findings if finding.rule_id == "em-placeholder"]
    assert not result.ok
    assert result.broken is None
    assert result.page_models == ["base code"]
    assert all(verification.match.ok for verification in result.pages)
    assert len(placeholder) == 2
    assert placeholder[0].value == PLACEHOLDER_HASH


def test_noscript_image_decoded(harness_browser: HarnessBrowser, site: SiteServer, tmp_path: Path) -> None:
    result = run_check(load_profile(BASE_CODE), site_options(tmp_path, site), harness_browser)
    [image] = result.noscript
    assert image.page_url == f"http://{SITE_HOST}/stores.html"
    assert image.request.transport == "noscript"
    assert image.request.event == "init"
    assert image.request.tid == TAG_ID
    assert image.request.pd == {"em": "<hashed_email_address>"}
    assert [finding.rule_id for finding in result.noscript_findings] == ["em-not-hashed"]


def test_base_code_without_placeholder_passes(harness_browser: HarnessBrowser, site: SiteServer, tmp_path: Path) -> None:
    # The same page with the placeholder rules off: the base code's own events match the tag model.
    profile = load_profile(BASE_CODE)
    options = site_options(tmp_path, site, lint_disabled=["em-placeholder", "em-not-hashed"])
    result = run_check(profile, options, harness_browser)
    assert result.ok, failures(result)


# ---- the live path: real-style vendors on 127.0.0.1 --------------------------------


def live_scripts_profile(tmp_path: Path) -> Any:
    """The live-like profile without offline scripts: analytics.js and core.js come from the (stand-in) vendors."""
    document = {
        "name": "live-like, live scripts",
        "start_url": f"http://{SITE_HOST}/",
        "settings": "auto",
        "tag_wait": 3,
        "steps": [
            {"goto": "/product.html"},
            {"click": "#add-to-cart", "expect": {"event": "AddToCart", "em": "absent"}},
        ],
    }
    return parse_profile(document, tmp_path / "live-scripts.yaml")


def test_live_scripts_from_network(harness_browser: HarnessBrowser, site: SiteServer, vendors: VendorServer, tmp_path: Path) -> None:
    result = run_check(live_scripts_profile(tmp_path), site_options(tmp_path, site, vendors), harness_browser)
    paths = [request.path for request in vendors.requests_to("cdn.segment.com")]
    assert result.ok, failures(result)
    assert result.settings.tid == TAG_ID
    assert "/analytics.js/v1/LiveLikeWriteKey01/analytics.min.js" in paths
    assert "/v1/projects/LiveLikeWriteKey01/settings" in paths
    assert [request.path for request in vendors.requests_to("s.pinimg.com")] == ["/ct/core.js", "/ct/core.js"]


def test_segment_calls_forwarded_and_recorded(harness_browser: HarnessBrowser, site: SiteServer, vendors: VendorServer, tmp_path: Path) -> None:
    result = run_check(live_scripts_profile(tmp_path), site_options(tmp_path, site, vendors), harness_browser)
    forwarded = [json.loads(request.body) for request in vendors.requests_to("api.segment.io")]
    recorded = [call.message for verification in result.pages for call in verification.page.segment_calls]
    assert [message["type"] for message in forwarded] == ["page", "page", "track"]
    assert [message["messageId"] for message in recorded] == [message["messageId"] for message in forwarded]


def test_pinterest_answered_locally(harness_browser: HarnessBrowser, site: SiteServer, vendors: VendorServer, tmp_path: Path) -> None:
    result = run_check(live_scripts_profile(tmp_path), site_options(tmp_path, site, vendors), harness_browser)
    assert result.ok, failures(result)
    assert result.sent_to_pinterest is False
    assert vendors.requests_to("ct.pinterest.com") == []


def test_send_to_pinterest_forwards(harness_browser: HarnessBrowser, site: SiteServer, vendors: VendorServer, tmp_path: Path) -> None:
    options = site_options(tmp_path, site, vendors, send_to_pinterest=True)
    result = run_check(live_scripts_profile(tmp_path), options, harness_browser)
    sent = [request for request in vendors.requests_to("ct.pinterest.com") if request.path.startswith("/v3/")]
    events = [parse_qs(urlsplit(request.path).query)["event"][0] for request in sent]
    assert result.ok, failures(result)
    assert result.sent_to_pinterest is True
    # Each event is its own HTTP request, so the server may receive a page's events in any order.
    assert sorted(events) == sorted(["init", "PageVisit", "init", "PageVisit", "AddToCart"])


def test_answer_segment_api_locally(harness_browser: HarnessBrowser, site: SiteServer, vendors: VendorServer, tmp_path: Path) -> None:
    options = site_options(tmp_path, site, vendors, answer_segment_api=True)
    result = run_check(live_scripts_profile(tmp_path), options, harness_browser)
    assert result.ok, failures(result)
    assert vendors.requests_to("api.segment.io") == []


# ---- the command -------------------------------------------------------------------


def run_cli(folder: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    """Run `pintrk-harness check` in `folder`, so its default pintrk-output folder is the test's own."""
    command = [sys.executable, "-m", "harness.cli", "check", *arguments]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=folder)


def test_cli_live_like_json(site: SiteServer, tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    completed = run_cli(tmp_path, str(LIVE_LIKE), "--map-host", f"{SITE_HOST}={site.address}", "--only-mapped-hosts", "--capture", "proxy", "--json", str(report), "--output-dir", str(tmp_path))
    document = json.loads(report.read_text(encoding="utf-8"))
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert document["capture"] == "proxy"
    assert document["sent_to_pinterest"] is False
    assert document["diagnosis"] is None
    assert "Trail.Walker@Example.com".lower() not in report.read_text(encoding="utf-8").lower()


def test_cli_base_code_exit_one(site: SiteServer, tmp_path: Path) -> None:
    completed = run_cli(tmp_path, str(BASE_CODE), "--map-host", f"{SITE_HOST}={site.address}", "--only-mapped-hosts", "--keep-artifacts", "never")
    assert completed.returncode == 1
    assert "em-placeholder" in completed.stdout
    assert "Noscript fallback images" in completed.stdout
    assert "lint found 3 errors, so the check fails" in completed.stdout


def test_cli_send_on_fixture_rejected(tmp_path: Path) -> None:
    completed = run_cli(tmp_path, "--send-to-pinterest", "--output-dir", str(tmp_path))
    assert completed.returncode == 2
    assert "cannot send to Pinterest" in completed.stderr


def test_cli_bad_map_host(tmp_path: Path) -> None:
    completed = run_cli(tmp_path, str(LIVE_LIKE), "--map-host", "shop.example")
    assert completed.returncode == 2
    assert "--map-host 'shop.example' is not HOST=ADDRESS[:PORT]" in completed.stderr
