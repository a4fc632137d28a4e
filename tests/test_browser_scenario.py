"""The scenario driver: Segment calls in the page, waits, storage, and the fixture world end to end."""

from __future__ import annotations

import json
from typing import Iterator

import pytest

from harness.browser import HarnessBrowser, Scenario, context_options
from harness.fixture_server import FixtureServer

pytestmark = pytest.mark.browser

TAG_ID = "2612345678901"
EMAIL = "user@example.com"


def beacon_url(event: str, number: int = 0) -> str:
    return f"https://ct.pinterest.com/v3/?tid={TAG_ID}&event={event}&cb={number}"


@pytest.fixture
def probes(harness_browser: HarnessBrowser, pages_server: FixtureServer) -> Iterator[Scenario]:
    with harness_browser.new_scenario(fixtures=pages_server) as scenario:
        scenario.open("routes.html")
        yield scenario


# ---- Segment calls --------------------------------------------------------------


def test_calls_reach_analytics(harness_browser: HarnessBrowser, pages_server: FixtureServer) -> None:
    with harness_browser.new_scenario(fixtures=pages_server) as scenario:
        scenario.open("analytics.html")
        scenario.page("Category", "Shoes", {"list": 1})
        scenario.track("Signed Up", {"plan": "pro"})
        scenario.identify("u1", {"email": EMAIL})
        calls = scenario.playwright_page.evaluate("window.analyticsCalls")
    assert calls == [
        ["page", "Category", "Shoes", {"list": 1}],
        ["track", "Signed Up", {"plan": "pro"}],
        ["identify", "u1", {"email": EMAIL}],
    ]


def test_missing_analytics_raises(harness_browser: HarnessBrowser, pages_server: FixtureServer) -> None:
    with harness_browser.new_scenario(fixtures=pages_server) as scenario:
        scenario.open("plain.html")
        with pytest.raises(RuntimeError, match=r"window\.analytics\.track is not a function"):
            scenario.track("Order Completed")


# ---- waiting --------------------------------------------------------------------


def test_wait_returns_requests(probes: Scenario) -> None:
    urls = [beacon_url("init", 1), beacon_url("checkout", 2), beacon_url("lead", 3)]
    probes.playwright_page.evaluate("urls => probe.beaconsLater(urls, 100)", urls)
    requests = probes.wait_for_tag_requests(3)
    assert [request.event for request in requests] == ["init", "checkout", "lead"]


def test_wait_filters_endpoint(probes: Scenario) -> None:
    probes.playwright_page.evaluate("url => probe.xhr(url)", f"https://ct.pinterest.com/user/?tid={TAG_ID}")
    requests = probes.wait_for_tag_requests(1, endpoint="user")
    assert [request.endpoint for request in requests] == ["user"]
    assert probes.wait_for_tag_requests(0) == []


def test_wait_timeout_lists_captured(probes: Scenario) -> None:
    probes.playwright_page.evaluate("url => probe.beacon(url)", beacon_url("init"))
    with pytest.raises(TimeoutError) as raised:
        probes.wait_for_tag_requests(2, timeout=0.5)
    message = str(raised.value)
    assert "waiting for 2 /v3/ requests; captured 1" in message
    assert "event=init" in message


def test_quiet_after_staggered(probes: Scenario) -> None:
    urls = [beacon_url("init", 1), beacon_url("checkout", 2), beacon_url("lead", 3)]
    # Gaps well below the idle time, so a slow machine does not end the wait early.
    probes.playwright_page.evaluate("urls => probe.beaconsLater(urls, 100)", urls)
    probes.wait_for_quiet(idle_ms=1000)
    assert len(probes.tag_requests) == 3


def test_quiet_times_out(probes: Scenario) -> None:
    probes.playwright_page.evaluate("url => probe.beaconsForever(url, 50)", beacon_url("init"))
    with pytest.raises(TimeoutError, match="without Pinterest or Segment requests"):
        probes.wait_for_quiet(idle_ms=800, timeout=2.0)


# ---- context and storage --------------------------------------------------------


def test_timezone_and_locale(probes: Scenario) -> None:
    page = probes.playwright_page
    assert page.evaluate("Intl.DateTimeFormat().resolvedOptions().timeZone") == "UTC"
    assert page.evaluate("navigator.language") == "en-US"


def test_no_storage_by_default(probes: Scenario) -> None:
    page = probes.playwright_page
    assert page.evaluate("localStorage.length") == 0
    assert page.evaluate("document.cookie") == ""


def test_stored_user_seeded(harness_browser: HarnessBrowser, pages_server: FixtureServer) -> None:
    traits = {"email": EMAIL, "plan": "pro"}
    with harness_browser.new_scenario(fixtures=pages_server, stored_traits=traits, user_id="u 1") as scenario:
        scenario.open("plain.html")
        page = scenario.playwright_page
        assert json.loads(page.evaluate("localStorage.getItem('ajs_user_traits')")) == traits
        assert json.loads(page.evaluate("localStorage.getItem('ajs_user_id')")) == "u 1"
        assert page.evaluate("document.cookie") == "ajs_user_id=u%201"


def test_stored_user_seeded_once(harness_browser: HarnessBrowser, pages_server: FixtureServer) -> None:
    with harness_browser.new_scenario(fixtures=pages_server, stored_traits={"email": EMAIL}) as scenario:
        scenario.open("plain.html")
        scenario.playwright_page.evaluate("localStorage.setItem('ajs_user_traits', '{\"email\":\"changed\"}')")
        scenario.open("plain.html?next")
        stored = scenario.playwright_page.evaluate("localStorage.getItem('ajs_user_traits')")
    assert json.loads(stored) == {"email": "changed"}


# ---- existing contexts ----------------------------------------------------------


def test_attach_to_existing_context(harness_browser: HarnessBrowser, pages_server: FixtureServer) -> None:
    context = harness_browser.browser.new_context(**context_options(pages_server.origin))
    with Scenario.attach(context, fixtures_dir=pages_server.root) as scenario:
        scenario.open(pages_server.url_for("call-log.html"))
        scenario.playwright_page.evaluate("src => loadScript(src)", "https://s.pinimg.com/ct/core.js")
        assert [call.args for call in scenario.call_log] == [["load", TAG_ID, {"em": EMAIL}], ["page"]]
        assert [request.url for request in scenario.captured_requests] == ["https://s.pinimg.com/ct/core.js"]


def test_relative_open_needs_base(harness_browser: HarnessBrowser) -> None:
    with Scenario.attach(harness_browser.browser.new_context()) as scenario:
        with pytest.raises(ValueError, match="has no base URL"):
            scenario.open("plain.html")


# ---- the fixture world ----------------------------------------------------------


def test_fixture_track_reaches_pinterest(harness_browser: HarnessBrowser) -> None:
    with harness_browser.new_scenario({"tid": TAG_ID}) as scenario:
        scenario.open("pages/blank.html")
        scenario.track("Order Completed", {"order_id": "o1", "value": "10.50"})
        events = scenario.wait_for_tag_requests(2)
        scenario.wait_for_quiet()
        calls = scenario.call_log
        segment_calls = scenario.segment_calls
    assert [event.event for event in events] == ["init", "Checkout"]
    assert events[1].ed == {"order_id": "o1", "value": 10.5}
    assert [call.args for call in calls] == [
        ["load", TAG_ID],
        ["page"],
        ["track", "Checkout", {"order_id": "o1", "value": "10.50"}],
    ]
    assert [(call.endpoint, call.payload["event"]) for call in segment_calls] == [("t", "Order Completed")]


def test_fixture_stored_email_loads(harness_browser: HarnessBrowser) -> None:
    settings = {"tid": TAG_ID, "useEnhancedMatchLoad": True}
    with harness_browser.new_scenario(settings, stored_traits={"email": EMAIL}) as scenario:
        scenario.open("pages/blank.html")
        scenario.page()
        scenario.wait_for_tag_requests(2)
        calls = scenario.call_log
    assert calls[0].args == ["load", TAG_ID, {"em": EMAIL}]
