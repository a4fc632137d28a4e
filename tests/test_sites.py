"""Site profile loading and validation."""

from __future__ import annotations

import json
import textwrap

import pytest

from harness.bundled import FIXTURES_DIR
from harness.sites import ProfileError, load_profile

VALID = """
name: Shop
start_url: fixture:pages/shop/index.html
settings:
  tid: "2612345678901"
  pinterestEventMapping: {Signed Up: Signup}
steps:
  - click: "#add"
    expect: {event: AddToCart, data: {currency: EUR}, em: absent}
  - fill: {selector: "#email", value: someone}
  - track: {event: Order Completed, properties: {value: 10}}
  - identify: {user_id: u1, traits: {plan: pro}}
  - page: {category: Shoes, name: Boots}
lint:
  disable: [value-without-currency]
"""


def write(tmp_path, text, name="site.yaml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_valid_profile_loads(tmp_path):
    profile = load_profile(write(tmp_path, VALID))

    assert profile.name == "Shop"
    assert profile.is_fixture
    assert profile.settings.pinterest_event_mapping == {"Signed Up": "Signup"}
    assert [step.action for step in profile.steps] == ["click", "fill", "track", "identify", "page"]
    assert profile.steps[0].expectations[0].event == "AddToCart"
    assert profile.steps[0].expectations[0].em == "absent"
    assert profile.steps[2].label == "track 'Order Completed'"
    assert profile.lint_disabled == ["value-without-currency"]


def test_auto_settings_by_default(tmp_path):
    profile = load_profile(write(tmp_path, "start_url: https://shop.example/\n"))
    assert profile.settings is None
    assert profile.steps == []


def test_settings_from_cdn_file(tmp_path):
    cdn = {"integrations": {"Pinterest Tag": {"tid": "123", "useEnhancedMatchLoad": True}}}
    (tmp_path / "cdn.json").write_text(json.dumps(cdn), encoding="utf-8")
    profile = load_profile(write(tmp_path, "start_url: https://shop.example/\nsettings: {file: cdn.json}\n"))
    assert profile.settings.tid == "123"
    assert profile.settings.use_enhanced_match_load is True


def test_settings_from_yaml_file(tmp_path):
    (tmp_path / "pinterest.yaml").write_text("tid: '2612345678901'\nuseEnhancedMatchLoad: true\n", encoding="utf-8")
    profile = load_profile(write(tmp_path, "start_url: https://shop.example/\nsettings: {file: pinterest.yaml}\n"))
    assert profile.settings.tid == "2612345678901"
    assert profile.settings.use_enhanced_match_load is True


def test_fixture_settings_from_bundled_fixtures(tmp_path):
    profile = load_profile(write(tmp_path, "start_url: fixture:pages/blank.html\nfixture_settings: fixture:pages/shop/settings.json\n"))
    assert profile.fixture_settings == (FIXTURES_DIR / "pages" / "shop" / "settings.json").resolve()


def test_settings_file_error_names_key(tmp_path):
    (tmp_path / "bad.json").write_text('{"tid": 5}', encoding="utf-8")
    with pytest.raises(ProfileError) as raised:
        load_profile(write(tmp_path, "start_url: https://shop.example/\nsettings: {file: bad.json}\n"))
    message = str(raised.value)
    assert message.startswith(f"{tmp_path / 'site.yaml'}: settings.file: ")
    assert "bad.json" in message
    assert "tid" in message


@pytest.mark.parametrize(
    "text, message",
    [
        ("start_url: 12\n", r"site.yaml: start_url: expected a URL or fixture:PATH, got 12"),
        ("start_url: ftp://x\n", r"site.yaml: start_url: \"ftp://x\" is not an http\(s\) URL"),
        ("start_url: https://x/\nstep: []\n", r"site.yaml: step: unknown key"),
        ("start_url: https://x/\nsteps: [{click: 5}]\n", r"site.yaml: steps\[0\].click: expected a CSS selector, got 5"),
        ("start_url: https://x/\nsteps: [{click: a, track: {event: b}}]\n", r"site.yaml: steps\[0\]: expected exactly one action .*found click, track"),
        ("start_url: https://x/\nsteps: [{fill: {selector: a}}]\n", r"site.yaml: steps\[0\].fill.value: missing"),
        ("start_url: https://x/\nsteps: [{track: {event: a, props: {}}}]\n", r"site.yaml: steps\[0\].track.props: unknown key"),
        ("start_url: https://x/\nsteps: [{click: a, expect: {event: Lead, em: maybe}}]\n", r"site.yaml: steps\[0\].expect\[0\].em: expected one of expected, absent, any, got \"maybe\""),
        ("start_url: https://x/\nsettings: {tid: 2612345678901}\n", r"site.yaml: settings: tid: expected the tag id as a string, got 2612345678901 \(a number\)"),
        ("start_url: https://x/\ntimeout: 0\n", r"site.yaml: timeout: expected seconds between 0 and 600, got 0"),
        ("start_url: https://x/\nsettings: {file: missing.json}\n", r"site.yaml: settings.file: .*missing.json: settings file not found"),
        ("start_url: https://x/\nsettings: {file: s.json, tid: '1'}\n", r"site.yaml: settings: tid: not allowed beside file"),
        ("start_url: https://x/\nfixture_settings: fixture:pages/none.json\n", r"site.yaml: fixture_settings: .*pages/none.json not found"),
        ("start_url: https://x/\nsteps: [{identify: {user_id: [1]}}]\n", r"site.yaml: steps\[0\].identify.user_id: expected text or a number, got \[1\]"),
        ("start_url: https://x/\nsteps: [{identify: {user_id: true}}]\n", r"site.yaml: steps\[0\].identify.user_id: expected text or a number, got true"),
        ("start_url: https://x/\nsteps: [{page: {name: {a: 1}}}]\n", r"site.yaml: steps\[0\].page.name: expected text, got"),
        ("start_url: https://x/\nsettings: {file: 7}\n", r"site.yaml: settings.file: expected the path of a JSON or YAML settings file, got 7"),
        ("start_url: [\n", r"site.yaml: invalid YAML at line 2, column 1"),
        ("- a\n", r"site.yaml: expected a mapping with start_url, settings and steps"),
        ("start_url: https://x/\nlint: {disable: [no-such-rule]}\n", r"site.yaml: lint.disable: unknown lint rule id 'no-such-rule'"),
        ("start_url: https://x/\nname: &a [*a]\n", r"site.yaml: a value contains itself"),
    ],
)
def test_invalid_profile_named(tmp_path, text, message):
    with pytest.raises(ProfileError, match=message):
        load_profile(write(tmp_path, text))


def test_missing_profile_file(tmp_path):
    with pytest.raises(ProfileError, match=r"nothere.yaml: site profile not found"):
        load_profile(tmp_path / "nothere.yaml")
