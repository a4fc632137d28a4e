"""Diagnosis of faults from observations: pure, one case per fault and per rule of precedence."""

from __future__ import annotations

import pytest

from harness.diagnose import ConsentSignals, Observations, RequestOutcome, diagnose

START = "https://shop.example/"
SCRIPT = "https://s.pinimg.com/ct/core.js"
USER = "https://ct.pinterest.com/user/?tid=1&event=init&dep=2%2CPAGE_LOAD"
INIT = "https://ct.pinterest.com/v3/?tid=1&event=init"
CHECKOUT = "https://ct.pinterest.com/v3/?tid=1&event=Checkout"
CSP_MESSAGE = (
    "Loading the image 'https://ct.pinterest.com/v3/?tid=1&event=init' violates the following Content Security Policy "
    "directive: \"img-src 'self'\". The action has been blocked."
)


def observed(**fields: object) -> Observations:
    return Observations(start_url=START, **fields)


def name_of(observations: Observations) -> str | None:
    diagnosis = diagnose(observations)
    return diagnosis.name if diagnosis else None


def test_healthy_run_has_none() -> None:
    requests = [RequestOutcome(SCRIPT, status=200), RequestOutcome(USER, status=200, json_body=True), RequestOutcome(INIT, status=200)]
    assert diagnose(observed(pinterest_requests=requests, pintrk_commands=[["load", "1"], ["page"]])) is None


@pytest.mark.parametrize(
    "error, name",
    [
        ("Page.goto: net::ERR_NAME_NOT_RESOLVED at https://shop.example/", "host-not-found"),
        ("Page.goto: net::ERR_CONNECTION_REFUSED at https://shop.example/", "connection-refused"),
        ("Page.goto: Timeout 2000ms exceeded.", "page-timeout"),
        ("Page.goto: net::ERR_CONNECTION_TIMED_OUT at https://shop.example/", "page-timeout"),
        ("Page.goto: net::ERR_CERT_AUTHORITY_INVALID at https://shop.example/", "page-load-failed"),
    ],
)
def test_navigation_error_named(error: str, name: str) -> None:
    assert name_of(observed(navigation_error=error)) == name


def test_load_failure_shows_code() -> None:
    diagnosis = diagnose(observed(navigation_error="Page.goto: net::ERR_CERT_AUTHORITY_INVALID at https://shop.example/"))
    assert diagnosis.message == "https://shop.example/ failed to load: ERR_CERT_AUTHORITY_INVALID"


def test_host_not_found_names_host() -> None:
    diagnosis = diagnose(observed(navigation_error="net::ERR_NAME_NOT_RESOLVED"))
    assert diagnosis.message.startswith("shop.example was not found")
    assert "--map-host" in diagnosis.hint


@pytest.mark.parametrize("status, name", [(500, "server-error"), (503, "server-error"), (404, "page-not-found"), (200, None)])
def test_page_status(status: int, name: str | None) -> None:
    assert name_of(observed(page_status=status, pintrk_commands=[["load", "1"]], pinterest_requests=[RequestOutcome(SCRIPT, status=200)])) == name


def test_proxy_502_explained() -> None:
    diagnosis = diagnose(observed(page_status=502, through_proxy=True))
    assert "from the capture proxy" in diagnosis.message


def test_csp_named_with_directives() -> None:
    blocked = [RequestOutcome(USER, failure="csp"), RequestOutcome(INIT, failure="csp")]
    diagnosis = diagnose(observed(pinterest_requests=blocked, csp_messages=[CSP_MESSAGE, CSP_MESSAGE]))
    assert diagnosis.name == "csp-blocks-pinterest"
    assert diagnosis.message == "the page's Content-Security-Policy blocked 2 requests to ct.pinterest.com (directive img-src 'self')"


def test_csp_before_tag_script() -> None:
    # CSP blocking core.js itself is a CSP fault, not a missing script.
    blocked = [RequestOutcome(SCRIPT, failure="csp")]
    assert name_of(observed(pinterest_requests=blocked)) == "csp-blocks-pinterest"


@pytest.mark.parametrize(
    "outcome, name, text",
    [
        (RequestOutcome(SCRIPT, status=404), "tag-script-missing", "responded with HTTP 404"),
        (RequestOutcome(SCRIPT, status=404, failure="net::ERR_ABORTED"), "tag-script-missing", "responded with HTTP 404 (net::ERR_ABORTED)"),
        (RequestOutcome(SCRIPT, failure="net::ERR_BLOCKED_BY_ORB"), "tag-script-missing", "other than JavaScript"),
        (RequestOutcome(SCRIPT, failure="net::ERR_BLOCKED_BY_CLIENT"), "tag-script-blocked", "did not load: net::ERR_BLOCKED_BY_CLIENT"),
        (RequestOutcome(SCRIPT, failure="net::ERR_CONNECTION_RESET"), "tag-script-blocked", "ERR_CONNECTION_RESET"),
    ],
)
def test_tag_script_failure(outcome: RequestOutcome, name: str, text: str) -> None:
    diagnosis = diagnose(observed(pinterest_requests=[outcome], pintrk_commands=[["load", "1"], ["page"]]))
    assert diagnosis.name == name
    assert text in diagnosis.message


def test_tag_script_loaded_once_is_enough() -> None:
    # A later page that loaded core.js shows the tag works; one failed load is not the fault.
    requests = [RequestOutcome(SCRIPT, failure="net::ERR_ABORTED"), RequestOutcome(SCRIPT, status=200), RequestOutcome(INIT, status=200)]
    assert diagnose(observed(pinterest_requests=requests, pintrk_commands=[["load", "1"], ["page"]])) is None


def test_stub_without_script() -> None:
    diagnosis = diagnose(observed(pintrk_commands=[["load", "1"], ["page"]]))
    assert diagnosis.name == "tag-script-missing"
    assert "never requested" in diagnosis.message


@pytest.mark.parametrize(
    "user, text",
    [
        (RequestOutcome(USER, status=500), "/user/ responded with HTTP 500"),
        (RequestOutcome(USER, failure="net::ERR_BLOCKED_BY_CLIENT"), "/user/ failed (net::ERR_BLOCKED_BY_CLIENT)"),
        (RequestOutcome(USER, status=200, content_type="text/html", json_body=False), "/user/ responded with text/html that is not JSON"),
    ],
)
def test_user_failure_named(user: RequestOutcome, text: str) -> None:
    requests = [RequestOutcome(SCRIPT, status=200), user, RequestOutcome(INIT, status=200)]
    commands = [["load", "1"], ["page"], ["track", "checkout", {}]]
    diagnosis = diagnose(observed(pinterest_requests=requests, pintrk_commands=commands))
    assert diagnosis.name == "user-request-failed"
    assert text in diagnosis.message
    assert "sent 0 of the page's 1 track events" in diagnosis.message


def test_user_failure_without_loss_ignored() -> None:
    # Every track event still arrived, so the /user/ failure cost nothing worth a diagnosis.
    requests = [RequestOutcome(SCRIPT, status=200), RequestOutcome(USER, status=500), RequestOutcome(CHECKOUT, status=200)]
    commands = [["load", "1"], ["track", "checkout"]]
    assert diagnose(observed(pinterest_requests=requests, pintrk_commands=commands)) is None


def test_consent_from_element() -> None:
    consent = ConsentSignals(elements=["div#onetrust-banner-sdk"])
    diagnosis = diagnose(observed(tag_wait=5.0, consent=consent))
    assert diagnosis.name == "consent-pending"
    assert "within 5.0 s" in diagnosis.message
    assert "element div#onetrust-banner-sdk" in diagnosis.message


def test_consent_from_cmp_global() -> None:
    assert name_of(observed(consent=ConsentSignals(globals=["__tcfapi"]))) == "consent-pending"


@pytest.mark.parametrize("cookie", ["OptanonConsent", "euconsent-v2", "CookieConsent", "tracking-preferences", "cmplz_marketing", "site_cookie_consent"])
def test_consent_cookie_names(cookie: str) -> None:
    diagnosis = diagnose(observed(consent=ConsentSignals(cookies=["_ga", cookie])))
    assert diagnosis.name == "consent-pending"
    assert f"cookie {cookie}" in diagnosis.message
    assert "cookie _ga" not in diagnosis.message


def test_unrelated_cookies_no_consent() -> None:
    diagnosis = diagnose(observed(consent=ConsentSignals(cookies=["_ga", "session_id", "cart"])))
    assert diagnosis.name == "no-tag-activity"


@pytest.mark.parametrize(
    "segment_loaded, in_settings, text",
    [
        (False, None, "loaded neither analytics.js nor core.js"),
        (True, False, "its Segment settings have no Pinterest Tag destination"),
        (True, True, "although analytics.js loaded"),
    ],
)
def test_no_tag_activity_reason(segment_loaded: bool, in_settings: bool | None, text: str) -> None:
    diagnosis = diagnose(observed(segment_loaded=segment_loaded, destination_in_settings=in_settings))
    assert diagnosis.name == "no-tag-activity"
    assert text in diagnosis.message


def test_silence_not_expected() -> None:
    assert diagnose(observed(expects_tag=False)) is None


def test_navigation_before_everything() -> None:
    blocked = [RequestOutcome(SCRIPT, failure="csp")]
    assert name_of(observed(navigation_error="net::ERR_CONNECTION_REFUSED", pinterest_requests=blocked)) == "connection-refused"
