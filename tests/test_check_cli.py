"""`pintrk-harness check`: exit statuses and paths checked before a run."""

from __future__ import annotations

import subprocess
import sys

import pytest

from harness.check import CheckOptions, run_check
from harness.cli import main
from harness.sites import load_profile


def run_cli(folder, *arguments):
    """Run `pintrk-harness check` in a child process, which starts its own Playwright, with `folder` as working directory."""
    command = [sys.executable, "-m", "harness.cli", "check", *arguments]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=folder)


def test_json_path_is_folder(tmp_path, capsys):
    assert main(["check", "--json", str(tmp_path)]) == 2
    assert f"--json {tmp_path}: is a folder" in capsys.readouterr().err


def test_output_dir_is_file(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    assert main(["check", "--output-dir", str(blocker)]) == 2
    assert "is a file; give a folder" in capsys.readouterr().err


def test_output_dir_cannot_be_created(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    assert main(["check", "--output-dir", str(blocker / "out")]) == 2
    assert f"--output-dir {blocker / 'out'}: cannot create it" in capsys.readouterr().err


@pytest.mark.browser
def test_unwritable_json_report(tmp_path):
    profile = tmp_path / "site.yaml"
    profile.write_text("start_url: fixture:pages/blank.html\ntag_wait: 0\n", encoding="utf-8")
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    completed = run_cli(tmp_path, str(profile), "--output-dir", str(tmp_path / "out"), "--json", str(blocker / "r.json"))
    assert completed.returncode == 2
    assert f"cannot write --json {blocker / 'r.json'}" in completed.stderr
    assert "the report above is complete" in completed.stderr
    assert "Page 1:" in completed.stdout


def test_invalid_profile_exit_two(tmp_path, capsys):
    profile = tmp_path / "site.yaml"
    profile.write_text("start_url: 5\n", encoding="utf-8")
    assert main(["check", str(profile)]) == 2
    assert "site.yaml: start_url: expected a URL" in capsys.readouterr().err


@pytest.mark.browser
def test_missing_fixture_page_diagnosed(tmp_path, harness_browser):
    path = tmp_path / "site.yaml"
    path.write_text("start_url: fixture:does/not/exist.html\ntimeout: 5\n", encoding="utf-8")
    result = run_check(load_profile(path), CheckOptions(output_dir=tmp_path / "out"), harness_browser)
    assert result.diagnosis is not None
    assert result.diagnosis.name == "page-not-found"
    assert "HTTP 404" in result.broken


@pytest.mark.browser
def test_progress_lines_masked(tmp_path):
    profile = tmp_path / "site.yaml"
    profile.write_text(
        "start_url: fixture:pages/blank.html\ntag_wait: 0\nsteps:\n  - track: {event: ada@example.com}\n",
        encoding="utf-8",
    )
    completed = run_cli(tmp_path, str(profile), "--output-dir", str(tmp_path / "out"))
    assert "step 1/1: track " in completed.stderr
    assert "ada@example.com" not in completed.stderr
    assert "ada@example.com" not in completed.stdout


def test_profile_error_masks_email(tmp_path, capsys):
    profile = tmp_path / "site.yaml"
    profile.write_text("start_url: https://shop.example/\nsettings: {tid: '1', pinterestEventMapping: {ada@example.com: 5}}\n", encoding="utf-8")
    assert main(["check", str(profile)]) == 2
    error = capsys.readouterr().err
    assert "ada@example.com" not in error
    assert "pinterestEventMapping: \"<email sha256:" in error
