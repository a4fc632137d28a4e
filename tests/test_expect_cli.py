"""`pintrk-harness expect`: commands for a case, as JSON and as a table."""

from __future__ import annotations

import io
import json

import pytest

from harness.cli import main
from shared_vectors import destination_cases

CASES = destination_cases()


def run_with_stdin(monkeypatch, text, *args):
    monkeypatch.setattr("sys.stdin", io.StringIO(text))
    return main(["expect", "-", *args])


@pytest.mark.parametrize("case", CASES[::20], ids=[case["id"] for case in CASES[::20]])
def test_json_reproduces_case(monkeypatch, capsys, case):
    assert run_with_stdin(monkeypatch, json.dumps(case), "--json") == 0
    assert json.loads(capsys.readouterr().out) == case["pintrk"]


def test_table_hides_plain_email(tmp_path, capsys):
    case = {"settings": {"tid": "1"}, "calls": [{"type": "identify", "userId": "jane@example.com", "traits": {}}]}
    path = tmp_path / "case.json"
    path.write_text(json.dumps(case), encoding="utf-8")
    assert main(["expect", str(path)]) == 0
    output = capsys.readouterr().out
    assert "jane@example.com" not in output
    assert "sha256:" in output


@pytest.mark.parametrize(
    "text, message",
    [
        ("{", "-: invalid JSON at line 1, column 2"),
        ("[]", "-: expected a JSON object with settings, stored_traits and calls, got list"),
        ("{}", "-: settings: missing"),
        ('{"settings": {"tid": "1"}, "calls": {}}', "-: calls: expected a list of Segment messages"),
        ('{"settings": {"tid": "1"}, "calls": [{"type": "group"}]}', '-: calls[0].type: expected "page", "track" or "identify", got "group"'),
        ('{"settings": {"tid": 5}, "calls": []}', "-: settings: tid: expected the tag id as a string, got 5 (a number)"),
        ('{"settings": {"tid": "1"}, "cals": []}', '-: "cals": unknown key (known: calls, settings, stored_traits)'),
        ('{"settings": {"tid": "1"}, "stored_traits": [1, 2]}', "-: stored_traits: expected an object of traits or null, got [1, 2]"),
    ],
)
def test_invalid_case_exit_two(monkeypatch, capsys, text, message):
    assert run_with_stdin(monkeypatch, text) == 2
    assert message in capsys.readouterr().err


def test_missing_case_file(tmp_path, capsys):
    assert main(["expect", str(tmp_path / "none.json")]) == 2
    assert "none.json: cannot read the case file" in capsys.readouterr().err


def test_settings_warning_on_stderr(monkeypatch, capsys):
    case = {"settings": {"tid": "1", "pinterestEventMapping": None}, "calls": []}
    assert run_with_stdin(monkeypatch, json.dumps(case), "--json") == 0
    assert "null maps no event" in capsys.readouterr().err


def test_deeply_nested_case_exit_two(monkeypatch, capsys):
    assert run_with_stdin(monkeypatch, '{"x":' * 100_000) == 2
    assert "-: JSON nested too deeply to read" in capsys.readouterr().err


def test_closed_stdin_exit_two(monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", None)
    assert main(["expect", "-"]) == 2
    assert "standard input is closed" in capsys.readouterr().err


def test_table_masks_emails_in_event_data(tmp_path, capsys):
    case = {"settings": {"tid": "1", "pinterestCustomProperties": ["contact"]}, "calls": [{"type": "track", "event": "X", "properties": {"contact": "jane@example.com"}}]}
    path = tmp_path / "case.json"
    path.write_text(json.dumps(case), encoding="utf-8")
    assert main(["expect", str(path)]) == 0
    assert "jane@example.com" not in capsys.readouterr().out


def test_case_deeper_than_model_rejected(monkeypatch, capsys):
    properties = "{}"
    for _ in range(600):
        properties = '{"a": ' + properties + "}"
    text = '{"settings": {"tid": "1"}, "calls": [{"type": "track", "event": "X", "properties": ' + properties + "}]}"
    assert run_with_stdin(monkeypatch, text) == 2
    assert "-: nested more than 100 levels deep" in capsys.readouterr().err


def test_emails_masked_in_labels_and_messages(monkeypatch, capsys):
    case = {"settings": {"tid": "1"}, "calls": [{"type": "track", "event": "ada@example.com"}, {"type": "page", "name": "bob@example.com"}]}
    assert run_with_stdin(monkeypatch, json.dumps(case)) == 0
    output = capsys.readouterr().out
    assert "ada@example.com" not in output
    assert "bob@example.com" not in output
    assert "<email sha256:" in output

    assert run_with_stdin(monkeypatch, '{"settings": {"tid": "1"}, "calls": "dan@example.com"}') == 2
    errors = capsys.readouterr().err
    assert "dan@example.com" not in errors
    assert "-: calls: expected a list of Segment messages" in errors

    assert run_with_stdin(monkeypatch, '{"settings": {"tid": "erin@example.com"}, "calls": []}', "--json") == 0
    assert "erin@example.com" not in capsys.readouterr().err


def test_table_shows_brackets_as_written(monkeypatch, capsys):
    case = {"settings": {"tid": "1"}, "calls": [{"type": "track", "event": "[/]"}, {"type": "track", "event": "[beta] Signed Up"}]}
    assert run_with_stdin(monkeypatch, json.dumps(case)) == 0
    output = capsys.readouterr().out
    assert 'track "[/]"' in output
    assert 'track "[beta] Signed Up"' in output


def test_integer_too_long_to_read_exit_two(monkeypatch, capsys):
    assert run_with_stdin(monkeypatch, '{"settings": {"tid": "1"}, "x": ' + "9" * 5000 + "}") == 2
    assert "-: cannot read the JSON: Exceeds the limit (4300 digits)" in capsys.readouterr().err


def test_case_file_with_byte_order_mark(tmp_path, capsys):
    path = tmp_path / "case.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps({"settings": {"tid": "1"}, "calls": []}).encode())
    assert main(["expect", str(path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == [["load", "1"], ["page"]]


def test_unwritable_output_exit_two(monkeypatch, capsys):
    def fail_to_write(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("harness.commands.expect.write_table", fail_to_write)
    assert run_with_stdin(monkeypatch, '{"settings": {"tid": "1"}, "calls": []}') == 2
    assert "pintrk-harness expect: No space left on device" in capsys.readouterr().err
