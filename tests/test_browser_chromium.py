"""Chromium discovery and launch."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.chromium import (
    BROWSER_ENV_VAR,
    QUIET_ARGS,
    SYSTEM_BROWSER_NAMES,
    BrowserNotFoundError,
    find_chromium,
    launch_args,
    launch_chromium,
)


def make_executable(path: Path) -> str:
    path.write_text("#!/bin/sh\nexit 0\n")
    path.chmod(0o755)
    return str(path)


def test_explicit_path_wins(tmp_path: Path) -> None:
    explicit = make_executable(tmp_path / "explicit-chrome")
    from_env = make_executable(tmp_path / "env-chrome")
    found = find_chromium(explicit, bundled=None, environ={BROWSER_ENV_VAR: from_env, "PATH": ""})
    assert found == explicit


def test_env_var_beats_bundled(tmp_path: Path) -> None:
    from_env = make_executable(tmp_path / "env-chrome")
    bundled = make_executable(tmp_path / "bundled-chrome")
    found = find_chromium(None, bundled=bundled, environ={BROWSER_ENV_VAR: from_env, "PATH": ""})
    assert found == from_env


def test_bundled_used_when_present(tmp_path: Path) -> None:
    bundled = make_executable(tmp_path / "bundled-chrome")
    make_executable(tmp_path / "chromium")
    found = find_chromium(None, bundled=bundled, environ={"PATH": str(tmp_path)})
    assert found == bundled


def test_missing_bundled_falls_back_to_path(tmp_path: Path) -> None:
    on_path = make_executable(tmp_path / "chromium-browser")
    found = find_chromium(None, bundled=str(tmp_path / "not-installed"), environ={"PATH": str(tmp_path)})
    assert found == on_path


def test_bad_env_override_names_it(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-chrome"
    with pytest.raises(BrowserNotFoundError) as raised:
        find_chromium(None, bundled=None, environ={BROWSER_ENV_VAR: str(missing), "PATH": ""})
    message = str(raised.value)
    assert BROWSER_ENV_VAR in message
    assert str(missing) in message
    assert "does not exist" in message


def test_non_executable_override_rejected(tmp_path: Path) -> None:
    plain_file = tmp_path / "chrome.txt"
    plain_file.write_text("not a program")
    with pytest.raises(BrowserNotFoundError, match="is not an executable file"):
        find_chromium(str(plain_file), bundled=None, environ={"PATH": ""})


def test_override_name_not_on_path(tmp_path: Path) -> None:
    with pytest.raises(BrowserNotFoundError, match="'no-such-browser-name' .* was not found on PATH"):
        find_chromium("no-such-browser-name", bundled=None, environ={"PATH": str(tmp_path)})


def test_fixed_path_used_last(tmp_path: Path) -> None:
    fixed = make_executable(tmp_path / "fixed-chromium")
    found = find_chromium(None, bundled=None, environ={"PATH": ""}, system_paths=[str(tmp_path / "absent"), fixed])
    assert found == fixed


def test_nothing_found_lists_tries(tmp_path: Path) -> None:
    fixed = str(tmp_path / "usr-bin-chromium")
    with pytest.raises(BrowserNotFoundError) as raised:
        find_chromium(None, bundled=str(tmp_path / "bundled"), environ={"PATH": str(tmp_path)}, system_paths=[fixed])
    message = str(raised.value)
    assert str(tmp_path / "bundled") in message
    for name in SYSTEM_BROWSER_NAMES:
        assert name in message
    assert fixed in message
    assert BROWSER_ENV_VAR in message


def test_launch_args_as_root() -> None:
    args = launch_args(running_as_root=True)
    assert args[0] == "--no-sandbox"
    assert args[1:] == list(QUIET_ARGS)


def test_launch_args_without_root() -> None:
    args = launch_args(running_as_root=False)
    assert "--no-sandbox" not in args
    assert args == list(QUIET_ARGS)


@pytest.mark.browser
def test_env_override_launches(harness_browser, monkeypatch: pytest.MonkeyPatch) -> None:
    executable = find_chromium(bundled=harness_browser.playwright.chromium.executable_path)
    monkeypatch.setenv(BROWSER_ENV_VAR, executable)
    browser = launch_chromium(harness_browser.playwright)
    try:
        page = browser.new_page()
        assert page.evaluate("1 + 1") == 2
    finally:
        browser.close()


@pytest.mark.browser
def test_bad_env_override_fails_launch(harness_browser, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(BROWSER_ENV_VAR, str(tmp_path / "missing-chrome"))
    with pytest.raises(BrowserNotFoundError, match=BROWSER_ENV_VAR):
        launch_chromium(harness_browser.playwright)


@pytest.mark.browser
def test_session_browser_is_headless(harness_browser) -> None:
    page = harness_browser.browser.new_page()
    try:
        assert "HeadlessChrome" in page.evaluate("navigator.userAgent")
    finally:
        page.close()
