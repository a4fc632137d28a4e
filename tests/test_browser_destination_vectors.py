"""The fixture destination in Chromium makes the recorded pintrk calls for every destination case.

All cases run in one browser context, each in a fresh document: an iframe
of pages/destination.html, whose driver delivers the case's messages to the
destination as analytics.js does. The calls are read from the harness's call
log, so they pass through the real pintrk stub and the fixture core.js.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import pytest
from playwright.sync_api import Error as PlaywrightError

from harness.browser import HarnessBrowser
from shared_vectors import destination_cases

pytestmark = pytest.mark.browser

CASES = destination_cases()
CASE_IDS = [case["id"] for case in CASES]
EMPTY_TID_CASES = [case for case in CASES if not case["settings"].get("tid")]

DESTINATION_PAGE = "pages/destination.html"
# Upper bound for a run that never finishes. A run normally takes well under a second.
RUN_TIMEOUT_MS = 10_000
_RUN_IN_FRAME = "([url, options, timeout]) => window.destinationDriver.runInFrame(url, options, timeout)"


@dataclass
class BrowserRun:
    """What one case did in the browser: its pintrk calls and the messages that threw."""

    commands: list[Any] = field(default_factory=list)
    ready: bool = False  # the destination became ready (core.js loaded) and received the messages
    errors: list[dict[str, Any]] = field(default_factory=list)
    failure: str | None = None  # why the case could not run at all


def run_cases(harness_browser: HarnessBrowser, cases: list[dict[str, Any]]) -> dict[str, BrowserRun]:
    """Run every case and return what each did, by case id."""
    runs: dict[str, BrowserRun] = {}
    with harness_browser.new_scenario() as scenario:
        scenario.open(DESTINATION_PAGE)
        page = scenario.playwright_page
        for case in cases:
            url = scenario.base_url + DESTINATION_PAGE + "?case=" + quote(case["id"], safe="")
            options = {"settings": case["settings"], "storedTraits": case["stored_traits"], "messages": case["calls"]}
            try:
                outcome = page.evaluate(_RUN_IN_FRAME, [url, json.dumps(options), RUN_TIMEOUT_MS])
            except PlaywrightError as error:
                runs[case["id"]] = BrowserRun(failure=str(error).splitlines()[0])
                continue
            commands = [call.args for call in scenario.call_log if call.url == url]
            runs[case["id"]] = BrowserRun(commands, outcome["ready"], outcome["errors"])
    return runs


@pytest.fixture(scope="module")
def browser_runs(harness_browser: HarnessBrowser) -> dict[str, BrowserRun]:
    return run_cases(harness_browser, CASES)


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_destination_calls(case: dict[str, Any], browser_runs: dict[str, BrowserRun]) -> None:
    run = browser_runs[case["id"]]
    assert run.failure is None
    assert run.commands == case["pintrk"]
    assert json.dumps(run.commands) == json.dumps(case["pintrk"]), "same values, but the keys are in another order"


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_destination_errors(case: dict[str, Any], browser_runs: dict[str, BrowserRun]) -> None:
    run = browser_runs[case["id"]]
    assert run.failure is None
    assert run.errors == case.get("errors", [])


@pytest.mark.parametrize("case", EMPTY_TID_CASES, ids=[case["id"] for case in EMPTY_TID_CASES])
def test_empty_tid_reaches_nothing(case: dict[str, Any], browser_runs: dict[str, BrowserRun]) -> None:
    run = browser_runs[case["id"]]
    assert run.failure is None
    assert not run.ready
    assert run.commands == []
