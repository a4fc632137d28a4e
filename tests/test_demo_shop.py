"""Each demo shop flow, run in Chromium, sends the events the destination and tag models predict.

Most tests run a small site profile through harness.check.run_check, which
also matches every page's requests against the models (result.ok). They then
check the flow's own event directly in the captured requests.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from harness.browser import HarnessBrowser
from harness.check import CheckOptions, CheckResult, run_check
from harness.fixture_server import FIXTURES_DIR
from harness.sites import load_profile, parse_profile
from harness.wire import TagRequest

pytestmark = pytest.mark.browser

REPOSITORY = Path(__file__).resolve().parents[1]
SHOP_SETTINGS_FILE = FIXTURES_DIR / "pages" / "shop" / "settings.json"
SHOP_SETTINGS = json.loads(SHOP_SETTINGS_FILE.read_text(encoding="utf-8"))["integrations"]["Pinterest Tag"]
TAG_ID = SHOP_SETTINGS["tid"]
EMAIL = "Ada.Shopper@Example.com"
EMAIL_HASH = hashlib.sha256(EMAIL.lower().encode("utf-8")).hexdigest()
QUIET_MS = 400

SIGN_UP_STEPS = [
    {"fill": {"selector": "#signup-name", "value": "Ada Shopper"}},
    {"fill": {"selector": "#signup-email", "value": EMAIL}},
    {"name": "sign up", "click": "#signup-submit"},
]


def shop_check(
    harness_browser: HarnessBrowser,
    tmp_path: Path,
    start_page: str,
    steps: list[dict[str, Any]],
    settings: dict[str, Any] | None = None,
) -> CheckResult:
    """Run a profile on the demo shop, whose CDN serves the shop's own settings.

    `settings` are the settings the check expects (the shop's own by default).
    """
    document = {
        "name": "demo shop flow",
        "start_url": f"fixture:pages/shop/{start_page}",
        "fixture_settings": str(SHOP_SETTINGS_FILE),
        "settings": settings if settings is not None else SHOP_SETTINGS,
        "steps": steps,
    }
    profile = parse_profile(document, tmp_path / "flow.yaml")
    return run_check(profile, CheckOptions(output_dir=tmp_path, keep_artifacts="never"), harness_browser)


def events(result: CheckResult) -> list[TagRequest]:
    """Every /v3/ request of the run, page by page, in the order sent."""
    return [request for page in result.pages for request in page.page.tag_requests if request.endpoint == "v3"]


def event_names(result: CheckResult) -> list[str | None]:
    return [request.event for request in events(result)]


def the_event(result: CheckResult, name: str) -> TagRequest:
    """The one /v3/ request with this event name."""
    [request] = [request for request in events(result) if request.event == name]
    return request


def failures(result: CheckResult) -> str:
    reasons = [verdict.reason for page in result.pages for verdict in page.match.failures]
    reasons += [outcome.reason for outcome in result.expectation_results if not outcome.passed]
    if result.broken:
        reasons.append(f"run broken: {result.broken}")
    return "\n".join(reasons)


# ---- flows ------------------------------------------------------------------------


def test_home_page_visit(harness_browser: HarnessBrowser, tmp_path: Path) -> None:
    result = shop_check(harness_browser, tmp_path, "index.html", [])
    assert result.ok, failures(result)
    assert event_names(result) == ["init", "PageVisit"]
    assert the_event(result, "PageVisit").ed == {"name": ""}


def test_category_view(harness_browser: HarnessBrowser, tmp_path: Path) -> None:
    result = shop_check(harness_browser, tmp_path, "category.html", [])
    assert result.ok, failures(result)
    assert event_names(result) == ["init", "ViewCategory"]
    assert the_event(result, "ViewCategory").ed == {"name": "Shoes", "category": "Category"}


def test_search(harness_browser: HarnessBrowser, tmp_path: Path) -> None:
    steps = [
        {"fill": {"selector": "#search-input", "value": "boots"}},
        {"click": "#search-submit", "expect": {"event": "Search", "data": {"search_query": "boots"}}},
    ]
    result = shop_check(harness_browser, tmp_path, "category.html", steps)
    assert result.ok, failures(result)
    assert the_event(result, "Search").ed == {"search_query": "boots"}


def test_filter(harness_browser: HarnessBrowser, tmp_path: Path) -> None:
    steps = [{"select": {"selector": "#filter-color", "value": "blue"}, "expect": {"event": "Search"}}]
    result = shop_check(harness_browser, tmp_path, "category.html", steps)
    assert result.ok, failures(result)
    assert event_names(result) == ["init", "ViewCategory", "Search"]


def test_add_to_cart(harness_browser: HarnessBrowser, tmp_path: Path) -> None:
    steps = [{"click": "#add-to-cart", "expect": {"event": "AddToCart"}}]
    result = shop_check(harness_browser, tmp_path, "product.html?id=p-102", steps)
    assert result.ok, failures(result)
    # The product has both product_id and sku, and the destination lets sku win.
    assert the_event(result, "AddToCart").ed["line_items"] == [
        {
            "product_name": "Rain Boot",
            "product_id": "RB-102-RED",
            "product_category": "Shoes",
            "product_price": 49.5,
            "product_quantity": 1,
            "product_brand": "Brookside",
        }
    ]


def test_checkout(harness_browser: HarnessBrowser, tmp_path: Path) -> None:
    steps = [
        {"fill": {"selector": "#quantity", "value": "2"}},
        {"click": "#add-to-cart"},
        {"goto": "fixture:pages/shop/cart.html"},
        {"click": "#checkout-link"},
        {"fill": {"selector": "#coupon", "value": "SPRING"}},
        {"click": "#place-order", "expect": {"event": "Checkout", "data": {"currency": "USD"}}},
    ]
    result = shop_check(harness_browser, tmp_path, "product.html?id=p-101", steps)
    assert result.ok, failures(result)
    checkout = the_event(result, "Checkout").ed
    assert checkout["order_id"].startswith("ORD-")
    assert checkout["value"] == 130
    assert checkout["currency"] == "USD"
    assert checkout["coupon"] == "SPRING"
    assert [item["product_id"] for item in checkout["line_items"]] == ["CS-101-WHT"]
    assert [item["product_quantity"] for item in checkout["line_items"]] == [2]


def test_signup_sends_em(harness_browser: HarnessBrowser, tmp_path: Path) -> None:
    steps = SIGN_UP_STEPS[:2] + [{"click": "#signup-submit", "expect": {"event": "Signup", "em": "expected"}}]
    result = shop_check(harness_browser, tmp_path, "signup.html", steps)
    assert result.ok, failures(result)
    signup = the_event(result, "Signup")
    assert signup.pd["em"] == EMAIL_HASH
    assert the_event(result, "PageVisit").pd is None


def test_later_pages_load_with_em(harness_browser: HarnessBrowser, tmp_path: Path) -> None:
    steps = SIGN_UP_STEPS + [{"goto": "fixture:pages/shop/video.html", "expect": {"event": "PageVisit", "em": "expected"}}]
    result = shop_check(harness_browser, tmp_path, "signup.html", steps)
    assert result.ok, failures(result)
    later_page = result.pages[-1].page.tag_requests
    assert [(request.event, request.pd["em"]) for request in later_page if request.endpoint == "v3"] == [
        ("init", EMAIL_HASH),
        ("PageVisit", EMAIL_HASH),
    ]


def test_signup_call_log(harness_browser: HarnessBrowser) -> None:
    # The call log shows the destination's own commands: set, then the mapped
    # event, then the next page's load with the stored email.
    with harness_browser.new_scenario(SHOP_SETTINGS) as scenario:
        scenario.open("pages/shop/signup.html")
        page = scenario.playwright_page
        page.fill("#signup-email", EMAIL)
        page.click("#signup-submit")
        scenario.wait_for_tag_requests(3)
        scenario.open("pages/shop/cart.html")
        scenario.wait_for_tag_requests(5)
        commands = [call.args for call in scenario.call_log]
    assert commands == [
        ["load", TAG_ID],
        ["page"],
        ["track", "PageVisit", {"name": ""}],
        ["set", {"np": "segment", "em": EMAIL}],
        ["track", "Signup", {}],
        ["load", TAG_ID, {"em": EMAIL}],
        ["page"],
        ["track", "PageVisit", {"name": ""}],
    ]


def test_lead(harness_browser: HarnessBrowser, tmp_path: Path) -> None:
    steps = [
        {"fill": {"selector": "#lead-company", "value": "Example Outfitters"}},
        {"select": {"selector": "#lead-type", "value": "Newsletter"}},
        {"click": "#lead-submit", "expect": {"event": "Lead", "data": {"lead_type": "Newsletter"}}},
    ]
    result = shop_check(harness_browser, tmp_path, "lead.html", steps)
    assert result.ok, failures(result)
    # lead_type is a custom property; company is not mapped at all.
    assert the_event(result, "Lead").ed == {"lead_type": "Newsletter"}


def test_video(harness_browser: HarnessBrowser, tmp_path: Path) -> None:
    steps = [{"click": "#play-button", "expect": {"event": "WatchVideo"}}]
    result = shop_check(harness_browser, tmp_path, "video.html", steps)
    assert result.ok, failures(result)
    assert the_event(result, "WatchVideo").ed == {"video_title": "How the Trail Runner is made"}


# ---- whole profiles -----------------------------------------------------------------


def test_bundled_profile_passes(harness_browser: HarnessBrowser, tmp_path: Path) -> None:
    profile = load_profile(REPOSITORY / "sites" / "demo-shop.yaml")
    result = run_check(profile, CheckOptions(output_dir=tmp_path, keep_artifacts="never"), harness_browser)
    assert result.ok, failures(result)
    assert len(result.steps) == len(profile.steps) + 1


def test_wrong_mapping_fails(harness_browser: HarnessBrowser, tmp_path: Path) -> None:
    # The check expects Signed Up -> Lead, but the shop's CDN settings map it to Signup.
    expected_settings = {**SHOP_SETTINGS, "pinterestEventMapping": {"Signed Up": "Lead", "Lead Generated": "Lead"}}
    result = shop_check(harness_browser, tmp_path, "signup.html", SIGN_UP_STEPS, settings=expected_settings)
    reasons = [verdict.reason for page in result.pages for verdict in page.match.failures]
    assert not result.ok
    assert len(reasons) == 1
    assert "step 3 (sign up)" in reasons[0]
    assert 'event "Signup"' in reasons[0]
    assert 'event: expected "Lead"' in reasons[0]
    assert 'observed "Signup"' in reasons[0]
