"""Routes: local responses for Pinterest and Segment, every other request aborted, all recorded."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterator

import pytest

from harness.browser import HarnessBrowser, Scenario
from harness.capture.routes import DESTINATION_NAME
from harness.fixture_server import FixtureServer

pytestmark = pytest.mark.browser

TAG_ID = "2612345678901"
SETTINGS = {"tid": TAG_ID, "pinterestEventMapping": {"Signed Up": "Signup"}}


@pytest.fixture
def scenario(harness_browser: HarnessBrowser, pages_server: FixtureServer) -> Iterator[Scenario]:
    with harness_browser.new_scenario(SETTINGS, fixtures=pages_server) as scenario:
        scenario.open("routes.html")
        yield scenario


def probe(scenario: Scenario, expression: str, argument: object = None) -> dict:
    return scenario.playwright_page.evaluate(expression, argument)


def test_beacon_gets_gif(scenario: Scenario) -> None:
    outcome = probe(scenario, "url => probe.beacon(url)", f"https://ct.pinterest.com/v3/?tid={TAG_ID}&event=init&cb=1")
    assert outcome == {"event": "load", "width": 1}


def test_beacon_captured(scenario: Scenario) -> None:
    probe(scenario, "url => probe.beacon(url)", f"https://ct.pinterest.com/v3/?tid={TAG_ID}&event=init&cb=1")
    [captured] = scenario.captured_requests
    assert captured.method == "GET"
    assert captured.resource_type == "image"
    assert captured.frame_url == scenario.playwright_page.url
    assert captured.tag.endpoint == "v3"
    assert captured.tag.event == "init"
    assert captured.tag.tid == TAG_ID
    assert captured.tag.time == captured.time


def test_host_case_ignored(scenario: Scenario) -> None:
    outcome = probe(scenario, "url => probe.beacon(url)", f"https://CT.Pinterest.COM/v3/?tid={TAG_ID}&event=init")
    assert outcome["event"] == "load"
    assert [tag.endpoint for tag in scenario.tag_requests] == ["v3"]


def test_user_xhr_with_credentials(scenario: Scenario) -> None:
    outcome = probe(scenario, "url => probe.xhr(url)", f"https://ct.pinterest.com/user/?tid={TAG_ID}&dep=2,PAGE_LOAD")
    assert outcome["status"] == 200
    assert json.loads(outcome["body"]) == {}
    assert scenario.tag_requests[0].endpoint == "user"


def test_preflighted_xhr_answered(scenario: Scenario) -> None:
    # A custom header makes the browser send a CORS preflight first.
    outcome = probe(scenario, "([url, headers]) => probe.xhr(url, headers)", [f"https://ct.pinterest.com/user/?tid={TAG_ID}", {"X-Probe": "1"}])
    assert outcome["status"] == 200


def test_options_request_answered(scenario: Scenario) -> None:
    outcome = probe(
        scenario, "url => probe.fetchText(url, {method: 'OPTIONS', credentials: 'include'})", "https://ct.pinterest.com/user/"
    )
    assert outcome["status"] == 204
    assert scenario.captured_requests[-1].method == "OPTIONS"


def test_form_post_into_iframe(scenario: Scenario) -> None:
    fields = {"tid": TAG_ID, "event": "checkout", "ed": json.dumps({"value": 10.5})}
    outcome = probe(scenario, "([action, fields]) => probe.formPost(action, fields)", ["https://ct.pinterest.com/v3/", fields])
    assert outcome == "loaded"
    [captured] = scenario.captured_requests
    assert captured.method == "POST"
    assert captured.content_type == "application/x-www-form-urlencoded"
    assert captured.resource_type == "document"
    assert captured.frame_url != captured.page_url
    assert captured.page_url == scenario.playwright_page.url
    assert captured.tag.transport == "form"
    assert captured.tag.event == "checkout"
    assert captured.tag.ed == {"value": 10.5}


def test_external_fetch_aborted(scenario: Scenario) -> None:
    outcome = probe(scenario, "url => probe.fetchText(url)", "https://example.com/tracker.js")
    assert outcome["status"] is None
    assert [request.url for request in scenario.blocked] == ["https://example.com/tracker.js"]
    assert scenario.captured_requests == []


def test_unknown_pinterest_path_captured(scenario: Scenario) -> None:
    outcome = probe(scenario, "url => probe.fetchText(url)", "https://ct.pinterest.com/ct.html")
    assert outcome["status"] == 404
    assert scenario.tag_requests[0].endpoint == "other"
    assert scenario.blocked == []


def test_segment_call_recorded(scenario: Scenario) -> None:
    message = {"type": "track", "event": "Signed Up", "properties": {"plan": "pro"}}
    outcome = probe(
        scenario,
        "body => probe.fetchText('https://api.segment.io/v1/t', {method: 'POST', headers: {'Content-Type': 'text/plain'}, body})",
        json.dumps(message),
    )
    assert json.loads(outcome["text"]) == {"success": True}
    [call] = scenario.segment_calls
    assert call.endpoint == "t"
    assert call.payload == message
    assert call.request.page_url == scenario.playwright_page.url


def test_segment_call_not_json(scenario: Scenario) -> None:
    probe(scenario, "() => probe.fetchText('https://api.segment.io/v1/p', {method: 'POST', body: 'not json'})")
    [call] = scenario.segment_calls
    assert call.payload is None
    assert call.request.body == b"not json"


def test_settings_served(scenario: Scenario) -> None:
    outcome = probe(scenario, "() => probe.fetchText('https://cdn.segment.com/v1/projects/test-write-key/settings')")
    assert json.loads(outcome["text"]) == {"integrations": {DESTINATION_NAME: SETTINGS}}


def test_settings_changed_later(scenario: Scenario) -> None:
    scenario.settings = None
    outcome = probe(scenario, "() => probe.fetchText('https://cdn.segment.com/v1/projects/test-write-key/settings')")
    assert json.loads(outcome["text"]) == {"integrations": {}}


def test_analytics_script_served(scenario: Scenario, pages_server: FixtureServer) -> None:
    outcome = probe(scenario, "() => probe.fetchText('https://cdn.segment.com/analytics.js/v1/test-write-key/analytics.min.js')")
    assert outcome["status"] == 200
    assert outcome["text"] == (pages_server.root / "segment" / "analytics.js").read_text()


def test_tag_script_served(scenario: Scenario, pages_server: FixtureServer) -> None:
    outcome = probe(scenario, "() => probe.fetchText('https://s.pinimg.com/ct/core.js')")
    assert outcome["text"] == (pages_server.root / "pinterest" / "core.js").read_text()
    assert [tag.endpoint for tag in scenario.tag_requests] == ["other"]


def test_unknown_segment_url_blocked(scenario: Scenario) -> None:
    outcome = probe(scenario, "() => probe.fetchText('https://cdn.segment.com/next-integrations/x.js')")
    assert outcome["status"] is None
    assert len(scenario.blocked) == 1


def test_missing_fixture_gets_404(harness_browser: HarnessBrowser, pages_server: FixtureServer, tmp_path: Path) -> None:
    (tmp_path / "routes.html").write_text((pages_server.root / "routes.html").read_text())
    with FixtureServer(tmp_path) as empty_fixtures, harness_browser.new_scenario(fixtures=empty_fixtures) as scenario:
        scenario.open("routes.html")
        outcome = probe(scenario, "() => probe.fetchText('https://s.pinimg.com/ct/core.js')")
    assert outcome["status"] == 404
    assert str(tmp_path / "pinterest" / "core.js") in outcome["text"]


def test_handler_error_aborts_request(scenario: Scenario, caplog: pytest.LogCaptureFixture) -> None:
    scenario.settings = {"tid": object()}  # not JSON-serialisable, so the settings response fails
    outcome = probe(scenario, "() => probe.fetchText('https://cdn.segment.com/v1/projects/test-write-key/settings')")
    assert outcome["status"] is None
    assert "route handler failed for GET https://cdn.segment.com/v1/projects/test-write-key/settings" in caplog.text
