"""Site profile keys for live sites: capture, send_to_pinterest, offline_scripts, tag_wait."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from harness.sites import ProfileError, load_profile

REPOSITORY = Path(__file__).resolve().parents[1]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "site.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_live_defaults(tmp_path: Path) -> None:
    profile = load_profile(write(tmp_path, "start_url: https://shop.example/\n"))
    assert profile.capture == "routes"
    assert profile.send_to_pinterest is False
    assert profile.offline_scripts is False
    assert profile.tag_wait == 5.0


def test_live_keys_read(tmp_path: Path) -> None:
    text = """
    start_url: https://shop.example/
    capture: proxy
    send_to_pinterest: true
    offline_scripts: true
    tag_wait: 2.5
    """
    profile = load_profile(write(tmp_path, text))
    assert profile.capture == "proxy"
    assert profile.send_to_pinterest is True
    assert profile.offline_scripts is True
    assert profile.tag_wait == 2.5


@pytest.mark.parametrize(
    "text, message",
    [
        ("start_url: https://x/\ncapture: har\n", r"site.yaml: capture: expected one of routes, proxy, got \"har\""),
        ("start_url: https://x/\nsend_to_pinterest: yes please\n", r"site.yaml: send_to_pinterest: expected true or false, got \"yes please\""),
        ("start_url: https://x/\noffline_scripts: 1\n", r"site.yaml: offline_scripts: expected true or false, got 1"),
        ("start_url: https://x/\ntag_wait: -1\n", r"site.yaml: tag_wait: expected seconds between 0 and 600, got -1"),
        ("start_url: fixture:pages/blank.html\nsend_to_pinterest: true\n", r"site.yaml: send_to_pinterest: true needs an http\(s\) start_url"),
    ],
)
def test_live_key_rejected(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ProfileError, match=message):
        load_profile(write(tmp_path, text))


@pytest.mark.parametrize("name", ["live-like.yaml", "base-code.yaml"])
def test_bundled_live_profiles_load(name: str) -> None:
    profile = load_profile(REPOSITORY / "sites" / "live-like" / name)
    assert profile.start_url.startswith("http://shop.example/")
    assert profile.offline_scripts is True
