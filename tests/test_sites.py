"""Site profile loading and validation."""

from __future__ import annotations

import json
import re
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


def test_alias_bomb_rejected(tmp_path):
    # Eight levels of ten aliases expand to 10**8 values from a few hundred bytes.
    lines = ["start_url: https://x/", "l0: &l0 [a, a, a, a, a, a, a, a, a, a]"]
    for level in range(1, 9):
        lines.append(f"l{level}: &l{level} [" + ", ".join([f"*l{level - 1}"] * 10) + "]")
    with pytest.raises(ProfileError, match=r"more than 100,000 values once YAML aliases are expanded"):
        load_profile(write(tmp_path, "\n".join(lines) + "\n"))


def test_deep_nesting_rejected(tmp_path):
    with pytest.raises(ProfileError, match=r"nested more than 64 levels deep"):
        load_profile(write(tmp_path, "start_url: https://x/\nstored_traits: {a: " + "[" * 80 + "]" * 80 + "}\n"))


@pytest.mark.parametrize(
    "content, message",
    [
        ("not json", r"fixture_settings: .*cdn.json: invalid JSON at line 1, column 1"),
        ("[1]", r"fixture_settings: .*cdn.json: expected a Segment CDN settings object"),
        ('{"integrations": []}', r"fixture_settings: .*cdn.json: integrations: expected an object of destinations, got \[\]"),
        ('{"integrations": {"Pinterest Tag": 5}}', r"fixture_settings: .*cdn.json: integrations.Pinterest Tag: expected the destination settings object, got 5"),
    ],
)
def test_invalid_fixture_settings_file(tmp_path, content, message):
    (tmp_path / "cdn.json").write_text(content, encoding="utf-8")
    with pytest.raises(ProfileError, match=message):
        load_profile(write(tmp_path, "start_url: https://x/\nfixture_settings: cdn.json\n"))


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
        ("start_url: https://x/\nname: &a [*a]\n", r"site.yaml: name\[0\]: contains itself \(a YAML alias"),
        ("start_url: https://x/\n1: a\n", r"site.yaml: the profile: key 1 is not text; quote it in the YAML"),
        ("start_url: https://x/\nsteps: [{track: {event: a, properties: {? null : 1}}}]\n", r"site.yaml: steps\[0\].track.properties: key null is not text"),
        ("start_url: https://x/\nstored_traits: {born: 2001-02-03T04:05:06Z}\n", r"site.yaml: stored_traits.born: YAML read 2001-02-03T04:05:06\+00:00 as a date; quote it"),
        ("start_url: https://x/\nsteps: [{track: {event: a, properties: {when: 2024-01-02}}}]\n", r"site.yaml: steps\[0\].track.properties.when: YAML read 2024-01-02 as a date"),
        ("start_url: https://x/\nsteps: [{track: {event: a, properties: {v: .nan}}}]\n", r"site.yaml: steps\[0\].track.properties.v: nan is not a finite number"),
        ("start_url: https://x/\nsteps: [{track: {event: a, properties: {v: !!binary aGk=}}}]\n", r"site.yaml: steps\[0\].track.properties.v: a YAML bytes value is not supported"),
        ("start_url: https://x/\nsteps: [{track: {event: a, properties: {v: !!set {a: null}}}}]\n", r"site.yaml: steps\[0\].track.properties.v: a YAML set value is not supported"),
        ("start_url: 'http://[::1'\n", r"site.yaml: start_url: \"http://\[::1\": invalid URL"),
        ("start_url: 'http:///x'\n", r"site.yaml: start_url: \"http:///x\": no host name"),
        ("start_url: 'http://x:99999/'\n", r"site.yaml: start_url: \"http://x:99999/\": invalid URL"),
        ("start_url: https://x/\nfixture_settings: fixture:../../etc/passwd\n", r"site.yaml: fixture_settings: \"fixture:../../etc/passwd\" points outside the bundled fixtures"),
    ],
)
def test_invalid_profile_named(tmp_path, text, message):
    with pytest.raises(ProfileError, match=message):
        load_profile(write(tmp_path, text))


def test_missing_profile_file(tmp_path):
    with pytest.raises(ProfileError, match=r"nothere.yaml: site profile not found"):
        load_profile(tmp_path / "nothere.yaml")


def test_yaml_settings_file_keys_must_be_text(tmp_path):
    (tmp_path / "pinterest.yaml").write_text("tid: '1'\npinterestEventMapping: {2024-01-01: Signup}\n", encoding="utf-8")
    with pytest.raises(ProfileError, match=r"settings\.file: .*pinterest\.yaml: pinterestEventMapping: key \"2024-01-01\" is not text"):
        load_profile(write(tmp_path, "start_url: https://shop.example/\nsettings: {file: pinterest.yaml}\n"))


@pytest.mark.parametrize(
    "text, message",
    [
        ("start_url: https://shop.example/\nstored_traits: " + "[" * 2000 + "]" * 2000 + "\n", "YAML nested too deeply to read"),
        ("start_url: https://shop.example/\nstored_traits: {a: " + "9" * 5000 + "}\n", "cannot read the YAML: Exceeds the limit (4300 digits)"),
    ],
)
def test_unreadable_yaml_rejected(tmp_path, text, message):
    with pytest.raises(ProfileError, match=re.escape(message)):
        load_profile(write(tmp_path, text))
