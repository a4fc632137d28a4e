"""The fixture tag (core.js) in Chromium sends what the tag model predicts.

Each case drives `window.pintrk(...)` on pages/tag.html (Pinterest's base
code, no Segment) and compares the captured requests with
harness.tag.encode_page + harness.matching.match_page.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any, Iterator

import pytest
from playwright.sync_api import Request, Route

from harness.browser import HarnessBrowser, Scenario
from harness.capture.routes import PIXEL_GIF, CapturedRequest
from harness.fixture_server import FIXTURES_DIR
from harness.matching import MatchOptions, MatchResult, match_page
from harness.tag import PAGE_LOAD_DEP, ExpectedEvent, encode_page

pytestmark = pytest.mark.browser

TAG_ID = "2612345678901"
TAG_PAGE = "pages/tag.html"
EMAIL = " Ada.Shopper@Example.com"
CONTACT_EMAIL = "Orders@Example.org"
QUIET_MS = 300
# Upper bound on the wait for a console message, which the tag logs within milliseconds.
CONSOLE_TIMEOUT_MS = 10_000
MAX_GET_URL_LENGTH = 2048

_RUN_COMMANDS = "commands => { for (const command of commands) window.pintrk(...command); }"


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def email_hash(email: str) -> str:
    """Hash an email address as the tag does: trimmed, lowercased, SHA-256 in hex."""
    return sha256(email.strip().lower())


def long_line_items(count: int) -> list[dict[str, Any]]:
    return [
        {"product_id": f"SKU-{index:04d}", "product_name": f"Trail Runner size {index}", "product_price": 89, "product_quantity": 1}
        for index in range(count)
    ]


@dataclass
class TagCase:
    """pintrk commands for one page load, and the decode problems its requests may legitimately have."""

    id: str
    commands: list[list[Any]]
    allowed_problems: tuple[str, ...] = ()  # prefixes of problem texts that are expected for this case


CASES = [
    TagCase("load-page", [["load", TAG_ID], ["page"]]),
    TagCase(
        "load-em-page-track",
        [["load", TAG_ID, {"em": EMAIL}], ["page"], ["track", "Checkout", {"order_id": "o-1", "value": 25, "currency": "USD"}]],
    ),
    TagCase(
        "set-em-then-tracks",
        [
            ["load", TAG_ID],
            ["page"],
            ["set", {"np": "segment", "em": EMAIL}],
            ["track", "AddToCart", {"line_items": [{"product_id": "TR-100-BLU", "product_price": 89}]}],
            ["track", "Checkout", {"order_id": "o-2", "value": 89, "currency": "USD"}],
            ["track", "Lead", {"lead_type": "Wholesale"}],
        ],
    ),
    TagCase(
        "value-coercion",
        [
            ["load", TAG_ID],
            ["track", "Checkout", {"value": "10.50", "order_quantity": "2", "currency": "USD"}],
            ["track", "AddToCart", {"value": " 5 "}],
            ["track", "Custom", {"value": "about ten"}],
        ],
    ),
    TagCase("email-values-hashed", [["load", TAG_ID], ["track", "Signup", {"contact": CONTACT_EMAIL, "note": "not an email"}]]),
    TagCase("external-id-moved", [["load", TAG_ID], ["track", "Lead", {"external_id": "customer-42", "lead_type": "Newsletter"}]]),
    TagCase("partner-defined-name", [["load", TAG_ID], ["track", "  Wishlist Added ", {"product_id": "p-100"}]]),
    TagCase(
        "long-event",
        [["load", TAG_ID], ["page"], ["track", "Checkout", {"order_id": "o-3", "value": 2136, "line_items": long_line_items(24)}]],
    ),
    TagCase("track-without-name", [["load", TAG_ID], ["track"]], allowed_problems=("event: missing",)),
]
CASE_IDS = [case.id for case in CASES]


@dataclass
class TagRun:
    """What one case sent: the model's expected events and the captured Pinterest requests."""

    expected: list[ExpectedEvent]
    captured: list[CapturedRequest] = field(default_factory=list)

    @property
    def events(self) -> list[CapturedRequest]:
        """Captured /v3/ requests, in the order sent."""
        return [request for request in self.captured if request.tag is not None and request.tag.endpoint == "v3"]

    def event(self, name: str) -> CapturedRequest:
        """The one captured /v3/ request with this event name."""
        [request] = [request for request in self.events if request.tag.event == name]
        return request

    def match(self, options: MatchOptions | None = None) -> MatchResult:
        return match_page(self.expected, [request.tag for request in self.captured if request.tag is not None], options)


def run_commands(scenario: Scenario, commands: list[list[Any]]) -> TagRun:
    """Open the tag page, make the calls, and wait for every expected /v3/ request and then for quiet."""
    expected = encode_page(commands).events
    scenario.open(TAG_PAGE)
    scenario.playwright_page.evaluate(_RUN_COMMANDS, commands)
    scenario.wait_for_tag_requests(sum(1 for event in expected if event.endpoint == "v3"))
    scenario.wait_for_quiet(idle_ms=QUIET_MS)
    return TagRun(expected, scenario.captured_requests)


@pytest.fixture(scope="module")
def tag_runs(harness_browser: HarnessBrowser) -> dict[str, TagRun]:
    runs = {}
    for case in CASES:
        with harness_browser.new_scenario() as scenario:
            runs[case.id] = run_commands(scenario, case.commands)
    return runs


@pytest.fixture
def scenario(harness_browser: HarnessBrowser) -> Iterator[Scenario]:
    with harness_browser.new_scenario() as scenario:
        yield scenario


def describe_failures(result: MatchResult) -> str:
    return "\n".join(verdict.reason for verdict in result.failures)


# ---- the table against the model ------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_requests_decode_cleanly(case: TagCase, tag_runs: dict[str, TagRun]) -> None:
    run = tag_runs[case.id]
    problems = [problem for request in run.captured if request.tag is not None for problem in request.tag.problems]
    unexpected = [problem for problem in problems if not any(problem.startswith(prefix) for prefix in case.allowed_problems)]
    assert unexpected == []


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_requests_match_model(case: TagCase, tag_runs: dict[str, TagRun]) -> None:
    result = tag_runs[case.id].match()
    assert result.ok, describe_failures(result)


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_event_count_matches_model(case: TagCase, tag_runs: dict[str, TagRun]) -> None:
    run = tag_runs[case.id]
    assert len(run.events) == sum(1 for event in run.expected if event.endpoint == "v3")


def test_missing_name_problem_reported(tag_runs: dict[str, TagRun]) -> None:
    [request] = tag_runs["track-without-name"].events
    assert [problem.split(";")[0] for problem in request.tag.problems] == ["event: missing"]


# ---- the rules, checked directly -------------------------------------------------


def test_page_sends_init(tag_runs: dict[str, TagRun]) -> None:
    assert [request.tag.event for request in tag_runs["load-page"].events] == ["init"]


def test_load_em_on_every_event(tag_runs: dict[str, TagRun]) -> None:
    run = tag_runs["load-em-page-track"]
    assert [request.tag.pd.get("em") for request in run.events] == [email_hash(EMAIL)] * 2


def test_set_em_on_later_events(tag_runs: dict[str, TagRun]) -> None:
    run = tag_runs["set-em-then-tracks"]
    em_by_event = [(request.tag.event, (request.tag.pd or {}).get("em")) for request in run.events]
    assert em_by_event == [
        ("init", None),
        ("AddToCart", email_hash(EMAIL)),
        ("Checkout", email_hash(EMAIL)),
        ("Lead", email_hash(EMAIL)),
    ]


def test_value_string_becomes_number(tag_runs: dict[str, TagRun]) -> None:
    run = tag_runs["value-coercion"]
    assert run.event("Checkout").tag.ed["value"] == 10.5
    assert run.event("AddToCart").tag.ed["value"] == 5


def test_order_quantity_stays_string(tag_runs: dict[str, TagRun]) -> None:
    assert tag_runs["value-coercion"].event("Checkout").tag.ed["order_quantity"] == "2"


def test_non_numeric_value_kept(tag_runs: dict[str, TagRun]) -> None:
    assert tag_runs["value-coercion"].event("Custom").tag.ed["value"] == "about ten"


def test_email_like_value_hashed(tag_runs: dict[str, TagRun]) -> None:
    ed = tag_runs["email-values-hashed"].event("Signup").tag.ed
    assert ed == {"contact": email_hash(CONTACT_EMAIL), "note": "not an email"}


def test_external_id_moved_to_pd(tag_runs: dict[str, TagRun]) -> None:
    request = tag_runs["external-id-moved"].event("Lead").tag
    assert "external_id" not in request.ed
    assert request.pd["external_id"] == sha256("customer-42")


def test_partner_defined_name_trimmed(tag_runs: dict[str, TagRun]) -> None:
    assert [request.tag.event for request in tag_runs["partner-defined-name"].events] == ["Wishlist Added"]


def test_long_event_is_form_post(tag_runs: dict[str, TagRun]) -> None:
    request = tag_runs["long-event"].event("Checkout")
    assert len(request.tag.ed["line_items"]) == 24
    assert request.method == "POST"
    assert request.tag.transport == "form"


def test_long_event_would_be_long_url(tag_runs: dict[str, TagRun]) -> None:
    # The form body holds the same parameters the GET URL would have carried.
    request = tag_runs["long-event"].event("Checkout")
    assert len("https://ct.pinterest.com/v3/?") + len(request.body) >= MAX_GET_URL_LENGTH


def test_short_events_are_get(tag_runs: dict[str, TagRun]) -> None:
    run = tag_runs["set-em-then-tracks"]
    assert {(request.method, request.tag.transport) for request in run.events} == {("GET", "get")}


# ---- the long event waits for the window's load event -----------------------------


def test_long_event_waits_for_load(scenario: Scenario) -> None:
    held_routes: list[Route] = []
    page_url = scenario.base_url + "pages/tag-held-load.html"
    image_url = scenario.base_url + "held-load.gif"
    # The tag page plus an image whose response the test holds back, which holds back the load event.
    html = (FIXTURES_DIR / TAG_PAGE).read_text(encoding="utf-8").replace("</body>", f'<img src="{image_url}" alt=""></body>')
    scenario.context.route(page_url, lambda route: route.fulfill(status=200, content_type="text/html", body=html))

    def hold(route: Route) -> None:
        held_routes.append(route)

    scenario.context.route(image_url, hold)

    scenario.open(page_url, wait_until="domcontentloaded")
    scenario.playwright_page.evaluate(
        _RUN_COMMANDS,
        [
            ["load", TAG_ID],
            ["page"],
            ["track", "Checkout", {"order_id": "o-4", "line_items": long_line_items(24)}],
            # Dispatched right after the long event, once /user/ has answered.
            ["track", "Lead", {"lead_type": "Wholesale"}],
        ],
    )
    scenario.wait_for_tag_requests(2)
    # The held image is on the fixture server, which wait_for_quiet does not watch.
    scenario.wait_for_quiet(idle_ms=QUIET_MS)
    ready_state = scenario.playwright_page.evaluate("document.readyState")
    before_load = [(request.method, request.tag.event) for request in scenario.captured_requests if request.tag.endpoint == "v3"]

    held_routes[0].fulfill(status=200, content_type="image/gif", body=PIXEL_GIF)
    scenario.wait_for_tag_requests(3)
    after_load = [(request.method, request.tag.event) for request in scenario.captured_requests if request.tag.endpoint == "v3"]

    assert ready_state != "complete"
    assert before_load == [("GET", "init"), ("GET", "Lead")]
    assert after_load == [("GET", "init"), ("GET", "Lead"), ("POST", "Checkout")]


# ---- the /user/ handshake ----------------------------------------------------------


def test_user_request_precedes_track(tag_runs: dict[str, TagRun]) -> None:
    tags = [request.tag for request in tag_runs["load-em-page-track"].captured]
    first_track = next(index for index, tag in enumerate(tags) if tag.endpoint == "v3" and tag.event == "Checkout")
    user_requests = [index for index, tag in enumerate(tags) if tag.endpoint == "user" and tag.params.get("dep") == PAGE_LOAD_DEP]
    assert len(user_requests) == 1
    assert user_requests[0] < first_track


def test_one_user_request_per_page(tag_runs: dict[str, TagRun]) -> None:
    run = tag_runs["set-em-then-tracks"]
    assert [request.tag.params.get("dep") for request in run.captured if request.tag.endpoint == "user"] == [PAGE_LOAD_DEP]


def test_user_request_matches_model(tag_runs: dict[str, TagRun]) -> None:
    result = tag_runs["load-em-page-track"].match(MatchOptions(check_user_requests=True))
    assert result.ok, describe_failures(result)


def fail_user_requests(scenario: Scenario, status: int, body: str, content_type: str) -> list[str]:
    """Answer /user/ with this response from now on; return the list the handler records each URL in."""
    seen: list[str] = []

    def answer(route: Route, request: Request) -> None:
        seen.append(request.url)
        origin = request.headers.get("origin", "")
        headers = {"access-control-allow-origin": origin, "access-control-allow-credentials": "true"}
        route.fulfill(status=status, headers=headers, content_type=content_type, body=body)

    # Registered after the scenario's routes, so it is tried first for /user/ requests.
    scenario.context.route("https://ct.pinterest.com/user/**", answer)
    return seen


@pytest.mark.parametrize(
    ("status", "body", "content_type", "reason"),
    [
        (500, "{}", "application/json", "HTTP status 500"),
        (200, "<html>not JSON</html>", "text/html", "not valid JSON"),
    ],
    ids=["status-500", "invalid-json"],
)
def test_failed_user_blocks_tracks(scenario: Scenario, status: int, body: str, content_type: str, reason: str) -> None:
    user_requests = fail_user_requests(scenario, status, body, content_type)
    scenario.open(TAG_PAGE)
    page = scenario.playwright_page

    with page.expect_console_message(lambda message: "/user/ request failed" in message.text, timeout=CONSOLE_TIMEOUT_MS) as failure:
        page.evaluate(_RUN_COMMANDS, [["load", TAG_ID], ["page"], ["track", "Checkout", {"order_id": "o-5"}]])
    # A track made after the failure is dropped at once.
    with page.expect_console_message(lambda message: "track event is not sent" in message.text, timeout=CONSOLE_TIMEOUT_MS):
        page.evaluate(_RUN_COMMANDS, [["track", "Lead", {"lead_type": "Wholesale"}]])
    scenario.wait_for_tag_requests(1)
    scenario.wait_for_quiet(idle_ms=QUIET_MS)

    assert len(user_requests) == 1
    assert reason in failure.value.text
    assert [request.event for request in scenario.tag_requests if request.endpoint == "v3"] == ["init"]


def test_answered_user_releases_tracks(scenario: Scenario) -> None:
    # The same steps with the scenario's own /user/ answer: the track does go out.
    run = run_commands(scenario, [["load", TAG_ID], ["page"], ["track", "Checkout", {"order_id": "o-5"}]])
    assert [request.tag.event for request in run.events] == ["init", "Checkout"]


def test_commands_reach_call_log(scenario: Scenario) -> None:
    commands = [["load", TAG_ID, {"em": EMAIL}], ["page"], ["track", "Lead", {"lead_type": "Wholesale"}]]
    run_commands(scenario, commands)
    assert [call.args for call in scenario.call_log] == commands

