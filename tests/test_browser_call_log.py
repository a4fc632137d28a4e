"""The call log through the stub-then-tag lifecycle: every command recorded exactly once."""

from __future__ import annotations

import json
from typing import Any, Iterator

import pytest

from harness.browser import HarnessBrowser, Scenario
from harness.fixture_server import FixtureServer

pytestmark = pytest.mark.browser

TAG_ID = "2612345678901"
# What call-log.html passes to the stub before any tag has loaded.
STUB_COMMANDS = [["load", TAG_ID, {"em": "user@example.com"}], ["page"]]
LATER_SCRIPT = 'pintrk("track", "checkout", {value: "10.50"}); pintrk("page");'
LATER_COMMANDS = [["track", "checkout", {"value": "10.50"}], ["page"]]
TAG_SCRIPT_URL = "https://s.pinimg.com/ct/core.js"


@pytest.fixture
def scenario(harness_browser: HarnessBrowser, pages_server: FixtureServer) -> Iterator[Scenario]:
    with harness_browser.new_scenario(fixtures=pages_server) as scenario:
        scenario.open("call-log.html")
        yield scenario


def run(scenario: Scenario, script: str) -> Any:
    return scenario.playwright_page.evaluate(f"() => {{ {script} }}")


def load_script(scenario: Scenario, src: str) -> None:
    scenario.playwright_page.evaluate("src => loadScript(src)", src)


def recorded(scenario: Scenario) -> list[Any]:
    return [call.args for call in scenario.call_log]


def tag_ran(scenario: Scenario) -> list[Any]:
    return [json.loads(args) for args in scenario.playwright_page.evaluate("window.fakeTagRan")]


def test_stub_then_tag_once(scenario: Scenario) -> None:
    load_script(scenario, TAG_SCRIPT_URL)
    run(scenario, LATER_SCRIPT)
    assert recorded(scenario) == STUB_COMMANDS + LATER_COMMANDS
    assert tag_ran(scenario) == STUB_COMMANDS + LATER_COMMANDS


def test_queued_flag(scenario: Scenario) -> None:
    load_script(scenario, TAG_SCRIPT_URL)
    run(scenario, LATER_SCRIPT)
    assert [call.queued for call in scenario.call_log] == [True, True, False, False]


def test_replace_and_replay_once(scenario: Scenario) -> None:
    load_script(scenario, "/tags/replace-replay.js")
    run(scenario, LATER_SCRIPT)
    assert recorded(scenario) == STUB_COMMANDS + LATER_COMMANDS
    assert tag_ran(scenario) == STUB_COMMANDS + LATER_COMMANDS


def test_replace_internal_once(scenario: Scenario) -> None:
    load_script(scenario, "/tags/replace-internal.js")
    run(scenario, LATER_SCRIPT)
    assert recorded(scenario) == STUB_COMMANDS + LATER_COMMANDS
    assert tag_ran(scenario) == STUB_COMMANDS + LATER_COMMANDS


def test_requeue_once(scenario: Scenario) -> None:
    load_script(scenario, "/tags/requeue.js")
    run(scenario, LATER_SCRIPT)
    assert recorded(scenario) == STUB_COMMANDS + LATER_COMMANDS
    assert tag_ran(scenario) == STUB_COMMANDS + LATER_COMMANDS


def test_observer_wrapper_once(scenario: Scenario) -> None:
    load_script(scenario, TAG_SCRIPT_URL)
    load_script(scenario, "/tags/observer.js")
    run(scenario, LATER_SCRIPT)
    assert recorded(scenario) == STUB_COMMANDS + LATER_COMMANDS
    assert [json.loads(args) for args in run(scenario, "return window.observedCalls;")] == LATER_COMMANDS
    assert tag_ran(scenario) == STUB_COMMANDS + LATER_COMMANDS


def test_direct_queue_pushes(scenario: Scenario) -> None:
    run(scenario, 'pintrk.queue.push(["set", {np: "direct"}]);')
    load_script(scenario, TAG_SCRIPT_URL)
    run(scenario, 'pintrk.queue.push(["track", "lead"]);')
    expected = STUB_COMMANDS + [["set", {"np": "direct"}], ["track", "lead"]]
    calls = scenario.call_log
    assert [call.args for call in calls] == expected
    assert [call.source for call in calls] == ["call", "call", "queue", "queue"]
    assert [call.queued for call in calls] == [True, True, True, False]
    assert tag_ran(scenario) == expected


def test_args_recorded_before_tag(scenario: Scenario) -> None:
    load_script(scenario, TAG_SCRIPT_URL)
    data_after_call = run(scenario, 'const data = {value: "1"}; pintrk("track", "lead", data); return data;')
    assert data_after_call == {"value": "1", "changedByTag": True}
    assert scenario.call_log[-1].args == ["track", "lead", {"value": "1"}]


def test_args_as_json(scenario: Scenario) -> None:
    run(scenario, 'pintrk("track", undefined, {a: undefined, f() {}, d: new Date(0)});')
    assert scenario.call_log[-1].args == ["track", None, {"d": "1970-01-01T00:00:00.000Z"}]


def test_unserialisable_args(scenario: Scenario) -> None:
    run(scenario, 'const data = {}; data.self = data; pintrk("track", "lead", data);')
    call = scenario.call_log[-1]
    assert call.args is None
    assert "circular" in call.error


def test_identity_kept(scenario: Scenario) -> None:
    assert run(scenario, "return window.pintrk === window.pintrk;") is True
    assert run(scenario, "return pintrk.version;") == "3.0"


def test_reassigned_proxy_once(scenario: Scenario) -> None:
    run(scenario, 'window.pintrk = window.pintrk; pintrk("track", "lead");')
    assert recorded(scenario) == STUB_COMMANDS + [["track", "lead"]]


def test_console_recorded(scenario: Scenario) -> None:
    load_script(scenario, TAG_SCRIPT_URL)
    # Console events may arrive after evaluate() returns, so wait for the one expected.
    with scenario.context.expect_event("console", lambda message: message.type == "warning"):
        run(scenario, 'pintrk("bogus");')
    warnings = [entry for entry in scenario.console if entry.type == "warning"]
    assert [entry.text for entry in warnings] == ["'bogus' is not a supported pintrk command"]
    assert warnings[0].url == TAG_SCRIPT_URL


def test_log_survives_navigation(scenario: Scenario) -> None:
    scenario.open("call-log.html?second")
    calls = scenario.call_log
    assert [call.args for call in calls] == STUB_COMMANDS + STUB_COMMANDS
    assert [call.url.endswith("?second") for call in calls] == [False, False, True, True]


def test_page_side_log(scenario: Scenario) -> None:
    page_log = run(scenario, "return window.__pintrkCallLog;")
    assert [entry["args"] for entry in page_log] == STUB_COMMANDS


def test_iframe_calls_recorded(harness_browser: HarnessBrowser, pages_server: FixtureServer) -> None:
    with harness_browser.new_scenario(fixtures=pages_server) as scenario:
        scenario.open("frame.html")
        calls = scenario.call_log
    assert [call.args for call in calls] == STUB_COMMANDS
    assert [call.main_frame for call in calls] == [False, False]


def test_page_without_pintrk(harness_browser: HarnessBrowser, pages_server: FixtureServer) -> None:
    with harness_browser.new_scenario(fixtures=pages_server) as scenario:
        scenario.open("plain.html")
        assert scenario.playwright_page.evaluate("typeof window.pintrk") == "undefined"
        assert scenario.call_log == []
