"""The pytest plugin, run the way users run it: in a pytest subprocess, through pytester.

Each browser test starts one subprocess (and so one Chromium) for several
inner tests, and asserts their outcomes and output.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.capture.records import email_digest
from harness.chromium import BROWSER_ENV_VAR, find_chromium, launch_args
from harness.fixture_server import FIXTURES_DIR
from harness.pintrk_session import CALL_LOG_FILE, EVENTS_FILE, SEGMENT_CALLS_FILE
from harness.pytest_plugin import chromium_launch_options

pytest_plugins = ["pytester"]

SHOP_SETTINGS = FIXTURES_DIR / "pages" / "shop" / "settings.json"
EMAIL = "ada.shopper@example.com"
USAGE_ERROR = pytest.ExitCode.USAGE_ERROR


@pytest.fixture
def browser_override(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """Point PINTRK_HARNESS_BROWSER at a link to the system Chromium, so the subprocess must honour it."""
    link = tmp_path / "chromium-link"
    link.symlink_to(find_chromium())
    monkeypatch.setenv(BROWSER_ENV_VAR, str(link))
    return str(link)


# ---- launch options, without a browser ----------------------------------------------


def test_launch_options_add_executable(browser_override: str) -> None:
    options = chromium_launch_options({"headless": False}, browser_name="chromium", bundled=None)
    assert options["executable_path"] == browser_override
    assert options["args"] == launch_args()
    assert options["headless"] is False


def test_launch_options_user_flags_last(browser_override: str) -> None:
    options = chromium_launch_options({"args": ["--lang=de", "--disable-gpu"]}, browser_name="chromium", bundled=None)
    assert options["args"][-2:] == ["--lang=de", "--disable-gpu"]
    assert options["args"].count("--disable-gpu") == 1


def test_launch_options_keep_channel(browser_override: str) -> None:
    options = chromium_launch_options({"channel": "chrome"}, browser_name="chromium", bundled=None)
    assert "executable_path" not in options


def test_launch_options_other_engine() -> None:
    base = {"headless": True}
    assert chromium_launch_options(base, browser_name="firefox", bundled=None) == base


def test_launch_options_remote_unchanged() -> None:
    base = {"headless": True}
    assert chromium_launch_options(base, browser_name="chromium", bundled=None, remote=True) == base


# ---- usage errors, without a browser ------------------------------------------------


def test_invalid_settings_file(pytester: pytest.Pytester) -> None:
    pytester.makefile(".yaml", settings='tid: 2612345678901\npinterestEventMapping: {"Signed Up": Signup}\n')
    pytester.makepyfile("def test_nothing(): pass")
    result = pytester.runpytest_subprocess("--pintrk-settings", "settings.yaml")
    assert result.ret == USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["ERROR: --pintrk-settings: */settings.yaml: tid: expected the tag id as a string, got 2612345678901 (a number); quote it in YAML or JSON"]
    )


def test_missing_settings_file(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_nothing(): pass")
    result = pytester.runpytest_subprocess("--pintrk-settings", "absent.json")
    assert result.ret == USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: --pintrk-settings: */absent.json: settings file not found*"])


def test_unknown_lint_option(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_nothing(): pass")
    result = pytester.runpytest_subprocess("--pintrk-disable-lint", "no-such-rule")
    assert result.ret == USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: --pintrk-disable-lint: unknown lint rule id 'no-such-rule'; known rule ids: *"])


def test_invalid_settings_marker(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.pintrk_settings({"tid": "2612345678901", "pinterestCustomProperties": {"lead_type": 1}})
        def test_lead(pintrk):
            pass
        """
    )
    result = pytester.runpytest_subprocess()
    assert result.ret == USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "ERROR: test_invalid_settings_marker.py::test_lead*: @pytest.mark.pintrk_settings: pinterestCustomProperties: "
            'expected a list of property names, got {"lead_type": 1} (an object)'
        ]
    )


def test_unknown_lint_marker(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.pintrk_lint(disable=["value-not-numeric", "valu-not-numeric"])
        def test_value(pintrk):
            pass
        """
    )
    result = pytester.runpytest_subprocess()
    assert result.ret == USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: test_unknown_lint_marker.py::test_value*: @pytest.mark.pintrk_lint: unknown lint rule id 'valu-not-numeric'*"])


# ---- in a browser ----------------------------------------------------------------------


BLANK_PAGE_TESTS = """
import pytest

TAG_ID = "2612345678901"


@pytest.mark.pintrk_settings({"tid": TAG_ID})
def test_checkout(page, pintrk):
    pintrk.open("pages/blank.html")
    pintrk.track("Order Completed", {"order_id": "o1", "value": 10, "currency": "USD"})
    request = pintrk.assert_event("Checkout", {"order_id": "o1", "value": 10.0}, em="absent")
    assert request.tid == TAG_ID


@pytest.mark.pintrk_settings({"tid": TAG_ID})
def test_wrong_value(page, pintrk):
    pintrk.open("pages/blank.html")
    pintrk.identify("u1", {"email": "%(email)s"})
    pintrk.track("Order Completed", {"order_id": "o1", "value": 10, "currency": "USD"})
    pintrk.assert_event("Checkout", {"order_id": "o1", "value": 99})


@pytest.mark.pintrk_settings({"tid": TAG_ID})
def test_em_expected(page, pintrk):
    pintrk.open("pages/blank.html")
    pintrk.track("Order Completed", {"order_id": "o2"})
    pintrk.assert_event("Checkout", em="expected")


def test_option_settings(page, pintrk):
    pintrk.open("pages/blank.html")
    pintrk.track("Signed Up")
    request = pintrk.wait_for_event("Lead")
    assert request.tid == "2612345678902"


@pytest.mark.pintrk_settings({"tid": TAG_ID})
@pytest.mark.parametrize("strict", ["option", "off"])
def test_extra_key(page, pintrk, strict):
    # --pintrk-strict is on; "off" switches it off for this test only.
    if strict == "off":
        pintrk.strict = False
    pintrk.open("pages/blank.html")
    pintrk.wait_for_event("init")
    page.evaluate("window.pintrk('set', {partner_key: 'x'})")
    pintrk.track("Order Completed", {"order_id": "o1", "value": 10, "currency": "USD"})
    pintrk.wait_for_event("Checkout")
    pintrk.assert_matches_segment()


@pytest.mark.pintrk_settings(file="settings/marker.json")
def test_marker_file(page, pintrk):
    pintrk.open("pages/blank.html")
    pintrk.track("Product Added", {"product_id": "p-1"})
    pintrk.track("Product Added", {"product_id": "p-2"})
    request = pintrk.wait_for_event("AddToCart", where=lambda request: request.ed["line_items"][0]["product_id"] == "p-2")
    assert request.tid == "2612345678903"
"""


@pytest.mark.browser
def test_blank_page_events(pytester: pytest.Pytester, browser_override: str) -> None:
    pytester.makefile(".yaml", option_settings='tid: "2612345678902"\npinterestEventMapping: {"Signed Up": Lead}\n')
    pytester.mkdir("settings")
    (pytester.path / "settings" / "marker.json").write_text(json.dumps({"tid": "2612345678903"}), encoding="utf-8")
    pytester.makepyfile(test_blank=BLANK_PAGE_TESTS % {"email": EMAIL})

    result = pytester.runpytest_subprocess("--pintrk-settings", "option_settings.yaml", "--pintrk-output", "artifacts", "--pintrk-strict")

    result.assert_outcomes(passed=4, failed=3)
    result.stdout.fnmatch_lines(
        [
            "*_ test_wrong_value*_",
            "E * AssertionError: captured events: Checkout: ed.value: expected 99, observed 10",
            "*- pintrk-harness artifacts -*",
            f"  artifacts/test-blank-py-test-wrong-value-chromium/{EVENTS_FILE}",
        ]
    )
    result.stdout.fnmatch_lines(["E * AssertionError: captured events: Checkout: em expected, but pd has no em"])
    result.stdout.fnmatch_lines(
        [
            "*_ test_extra_key*option*_",
            'E * fail: event "Checkout" for page 1: track "Order Completed" differs: pd.partner_key: not expected, observed "x"',
        ]
    )

    artifacts = pytester.path / "artifacts"
    kept = sorted(path.name for path in artifacts.iterdir())
    assert kept == [
        "test-blank-py-test-em-expected-chromium",
        "test-blank-py-test-extra-key-chromium-option",
        "test-blank-py-test-wrong-value-chromium",
    ]
    failed_folder = artifacts / "test-blank-py-test-wrong-value-chromium"
    assert sorted(path.name for path in failed_folder.iterdir()) == sorted([EVENTS_FILE, CALL_LOG_FILE, SEGMENT_CALLS_FILE])

    events = [json.loads(line) for line in (failed_folder / EVENTS_FILE).read_text(encoding="utf-8").splitlines()]
    assert [event["event"] for event in events if event["endpoint"] == "v3"] == ["init", "Checkout"]
    call_log = (failed_folder / CALL_LOG_FILE).read_text(encoding="utf-8")
    assert f"<email sha256:{email_digest(EMAIL)}>" in call_log
    for name in (EVENTS_FILE, CALL_LOG_FILE, SEGMENT_CALLS_FILE):
        assert EMAIL not in (failed_folder / name).read_text(encoding="utf-8"), name


SHOP_TESTS = """
import json
from pathlib import Path

import pytest


@pytest.fixture
def pintrk_served_settings():
    # The shop's own Segment configuration, whatever a test expects.
    document = json.loads(Path(%(shop_settings)r).read_text(encoding="utf-8"))
    return document["integrations"]["Pinterest Tag"]


def shop_flow(page, pintrk):
    pintrk.open("pages/shop/index.html")
    page.click("#home-category-link")
    pintrk.wait_for_event("ViewCategory")
    pintrk.open("pages/shop/product.html?id=p-100")
    page.click("#add-to-cart")
    pintrk.wait_for_event("AddToCart")
    pintrk.open("pages/shop/signup.html")
    page.fill("#signup-name", "Ada Shopper")
    page.fill("#signup-email", "%(email)s")
    page.click("#signup-submit")
    pintrk.wait_for_event("Signup")


def test_shop_matches(page, pintrk):
    shop_flow(page, pintrk)
    verifications = pintrk.assert_matches_segment()
    assert len(verifications) == 4


@pytest.mark.pintrk_settings({"tid": "2612345678901", "pinterestEventMapping": {"Signed Up": "Lead"}})
def test_signup_as_lead(page, pintrk):
    shop_flow(page, pintrk)
    pintrk.assert_matches_segment()
"""


@pytest.mark.browser
def test_matches_segment_on_shop(pytester: pytest.Pytester, browser_override: str) -> None:
    pytester.makepyfile(test_shop=SHOP_TESTS % {"shop_settings": str(SHOP_SETTINGS), "email": EMAIL})

    result = pytester.runpytest_subprocess("--pintrk-settings", str(SHOP_SETTINGS))

    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "E * AssertionError: Pinterest requests do not match the Segment calls with the settings "
            "from the pintrk_settings marker of test_shop.py::test_signup_as_lead*:",
            "E * page 4 (http://127.0.0.1:*/pages/shop/signup.html):",
            'E * fail: event "Signup" for page 4: track "Signed Up" differs: '
            'event: expected "Lead" (a standard name, any letter case), observed "Signup"',
        ]
    )
    assert EMAIL not in result.stdout.str()


OVERRIDE_CONFTEST = """
import pytest


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "slow_mo": 1}
"""

LINT_TESTS = """
import os

import pytest

pytestmark = pytest.mark.pintrk_settings({"tid": "2612345678901"})


def send_checkout_with_text_value(pintrk):
    pintrk.open("pages/blank.html")
    pintrk.track("Order Completed", {"order_id": "o1", "value": "ten", "currency": "USD"})
    pintrk.wait_for_event("Checkout")


@pytest.mark.pintrk_lint(disable=["value-not-numeric"])
def test_lint_disabled(page, pintrk):
    send_checkout_with_text_value(pintrk)
    pintrk.assert_no_lint()
    assert [finding.rule_id for finding in pintrk.lint()] == []


def test_lint_enabled(page, pintrk):
    send_checkout_with_text_value(pintrk)
    pintrk.assert_no_lint()


def test_launch_args(browser_type_launch_args, page):
    page.set_content("<p>launched</p>")
    assert page.inner_text("p") == "launched"
    assert browser_type_launch_args["slow_mo"] == 1
    assert browser_type_launch_args["executable_path"] == os.environ["PINTRK_HARNESS_BROWSER"]
    assert "--disable-background-networking" in browser_type_launch_args["args"]
"""

SETTINGS_OVERRIDE_TESTS = """
import pytest


@pytest.fixture
def pintrk_settings(request):
    return {"tid": request.param}


@pytest.mark.parametrize("pintrk_settings", ["2612345678904"], indirect=True)
def test_fixture_settings(pintrk):
    pintrk.open("pages/blank.html")
    pintrk.track("Order Completed", {"order_id": "o1"})
    assert pintrk.wait_for_event("Checkout").tid == "2612345678904"


@pytest.mark.parametrize("pintrk_settings", [2612345678904], indirect=True)
def test_invalid_fixture_settings(pintrk):
    pass
"""


@pytest.mark.browser
def test_lint_and_overrides(pytester: pytest.Pytester, browser_override: str) -> None:
    pytester.makeconftest(OVERRIDE_CONFTEST)
    pytester.makepyfile(test_lint=LINT_TESTS, test_override=SETTINGS_OVERRIDE_TESTS)

    result = pytester.runpytest_subprocess()

    result.assert_outcomes(passed=3, failed=1, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*_ test_lint_enabled*_",
            "E * AssertionError: 1 lint finding(s) of severity error or worse:",
            'E *   requests[[]*[]]: error: value "ten" on event "Checkout" is not a number [[]value-not-numeric]',
        ]
    )
    result.stdout.fnmatch_lines(
        [
            "*_ ERROR at setup of test_invalid_fixture_settings*_",
            "the pintrk_settings fixture: tid: expected the tag id as a string, got 2612345678904 (a number); quote it in YAML or JSON",
        ]
    )
    # Without --pintrk-output, the files go to pytest-playwright's folder for the test.
    default_folder = pytester.path / "test-results" / "test-lint-py-test-lint-enabled-chromium"
    assert (default_folder / EVENTS_FILE).is_file()
