"""Tests for `pintrk-harness decode`."""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import subprocess
import sys

import pytest

from har_files import har_document, har_entry, write_har
from harness.cli import main
from harness.commands.decode import read_request_lines
from shared_vectors import WIRE_CAPTURES, wire_captures

CAPTURES = list(wire_captures())
TID = "2612345678901"
EMAIL_HASH = "973dfe463ec85785f5f95af5ba3906eedb2d931c24e69824a89ea65dba4e813b"
CLEAN_URL = f"https://ct.pinterest.com/v3/?tid={TID}&event=checkout&ed=%7B%22value%22%3A10%2C%22currency%22%3A%22USD%22%7D&pd=%7B%22em%22%3A%22{EMAIL_HASH}%22%7D"
JSON_KEYS = ("endpoint", "method", "event", "tid", "ed", "pd", "ad", "cb", "params", "problems")


def set_stdin(monkeypatch, data: bytes) -> None:
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))


def json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines()]


def test_stdin_captures_json(monkeypatch, capsys):
    set_stdin(monkeypatch, WIRE_CAPTURES.read_bytes())
    status = main(["decode", "--json"])
    documents = json_lines(capsys.readouterr().out)
    assert status == 1
    assert len(documents) == len(CAPTURES)
    for document in documents:
        assert all(key in document for key in JSON_KEYS), document
    assert [document["event"] for document in documents[:3]] == ["init", "pagevisit", "checkout"]
    assert documents[2]["ed"]["line_items"][0]["product_id"] == "11"
    assert [bool(document["problems"]) for document in documents] == ["truncated" in capture[0] for capture in CAPTURES]


def test_url_arguments_json(capsys):
    status = main(["decode", "--json", CLEAN_URL, "https://ct.pinterest.com/user/?tid=1&dep=2%2CPAGE_LOAD"])
    documents = json_lines(capsys.readouterr().out)
    assert status == 0
    assert documents[0]["ed"] == {"value": 10, "currency": "USD"}
    assert documents[0]["pd"] == {"em": EMAIL_HASH}
    assert documents[0]["cb"] is None
    assert documents[1]["endpoint"] == "user"
    assert documents[1]["params"] == {"dep": "2,PAGE_LOAD"}


def test_problems_exit_one(capsys):
    status = main(["decode", "--json", "https://ct.pinterest.com/v3/?event=init"])
    [document] = json_lines(capsys.readouterr().out)
    assert status == 1
    assert document["problems"] == ["tid: missing; every tag request carries the tag id"]


def test_non_pinterest_exit_one(capsys):
    status = main(["decode", "--json", "https://example.com/collect?tid=1"])
    [document] = json_lines(capsys.readouterr().out)
    assert status == 1
    assert document["endpoint"] == "other"


def test_stdin_skips_comments(monkeypatch, capsys):
    set_stdin(monkeypatch, f"# a comment\n\n   \nGET {CLEAN_URL}\n# GET https://example.com/\n".encode())
    status = main(["decode", "--json"])
    assert status == 0
    assert len(json_lines(capsys.readouterr().out)) == 1


def test_stdin_url_only_line(monkeypatch, capsys):
    set_stdin(monkeypatch, f"{CLEAN_URL}\r\n".encode())
    main(["decode", "--json"])
    [document] = json_lines(capsys.readouterr().out)
    assert document["method"] == "GET"
    assert document["event"] == "checkout"


def test_stdin_post_body(monkeypatch, capsys):
    body = f"tid={TID}&event=lead&ed=%7B%22lead_type%22%3A%22News+letter%22%7D"
    set_stdin(monkeypatch, f"POST https://ct.pinterest.com/v3/ {body}\n".encode())
    status = main(["decode", "--json"])
    [document] = json_lines(capsys.readouterr().out)
    assert status == 0
    assert document["method"] == "POST"
    assert document["ed"] == {"lead_type": "News letter"}
    assert document["transport"] == "form"


def test_stdin_not_utf8(monkeypatch, capsys):
    set_stdin(monkeypatch, b"GET https://ct.pinterest.com/v3/?tid=1&event=init&x=\xff\n")
    status = main(["decode", "--json"])
    [document] = json_lines(capsys.readouterr().out)
    assert status == 1
    assert document["problems"][0].startswith("URL: not valid UTF-8")
    assert document["event"] == "init"


def test_text_stream_lines():
    stream = io.StringIO(f"# comment\nGET {CLEAN_URL}\nPOST https://ct.pinterest.com/v3/ tid=1&event=lead\n")
    requests = list(read_request_lines(stream))
    assert [request.event for request in requests] == ["checkout", "lead"]
    assert requests[1].transport == "form"


def test_har_json(tmp_path, capsys):
    entries = [har_entry(url, method, body) for _, method, url, body in CAPTURES]
    entries.append(har_entry("https://shop.example/"))
    path = write_har(tmp_path / "shop.har", entries)
    status = main(["decode", "--json", "--har", str(path)])
    documents = json_lines(capsys.readouterr().out)
    assert status == 1
    assert [document["url"] for document in documents] == [url for _, _, url, _ in CAPTURES]


def test_urls_then_har(tmp_path, capsys):
    path = write_har(tmp_path / "one.har", [har_entry("https://ct.pinterest.com/v3/?tid=1&event=lead")])
    main(["decode", "--json", CLEAN_URL, "--har", str(path)])
    assert [document["event"] for document in json_lines(capsys.readouterr().out)] == ["checkout", "lead"]


def test_missing_har_exit_two(tmp_path, capsys):
    path = tmp_path / "missing.har"
    status = main(["decode", "--har", str(path)])
    error = capsys.readouterr().err
    assert status == 2
    assert error == f"pintrk-harness decode: {path}: cannot open the HAR file (No such file or directory)\n"


def test_bad_har_exit_two(tmp_path, capsys):
    path = tmp_path / "bad.har"
    path.write_text('{"log": {}}', encoding="utf-8")
    status = main(["decode", "--json", "--har", str(path)])
    captured = capsys.readouterr()
    assert status == 2
    assert f"{path}: not a HAR file, because log.entries is missing" in captured.err
    assert captured.out == ""


def test_unknown_option_exit_two(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["decode", "--bogus"])
    assert exit_info.value.code == 2
    assert "--bogus" in capsys.readouterr().err


def test_table_shows_fields(capsys):
    status = main(["decode", CLEAN_URL])
    out = capsys.readouterr().out
    assert status == 0
    assert "checkout" in out
    assert TID in out
    assert "value=10" in out
    assert "currency=USD" in out
    assert EMAIL_HASH[:12] in out
    assert "1 request, 0 with problems" in out


def test_table_lists_problems(monkeypatch, capsys):
    set_stdin(monkeypatch, WIRE_CAPTURES.read_bytes())
    status = main(["decode"])
    out = capsys.readouterr().out
    truncated = [index for index, capture in enumerate(CAPTURES, start=1) if "truncated" in capture[0]]
    assert status == 1
    assert f"#{truncated[0]} ed: invalid JSON" in out
    assert f"#{truncated[0]} pd: invalid JSON" in out
    assert f"{len(CAPTURES)} requests, 1 with problems" in out


def test_table_masks_plain_email(capsys):
    url = f"https://ct.pinterest.com/v3/?event=init&tid={TID}&pd[em]=Jane.Doe@Example.com&ed[email]=jane.doe@example.com&noscript=1"
    main(["decode", url])
    out = capsys.readouterr().out
    assert "jane.doe" not in out.lower()
    assert "<email" in out
    assert f"sha256:{hashlib.sha256(b'jane.doe@example.com').hexdigest()[:12]}…>" in out


def test_table_masks_email_in_tid(capsys):
    main(["decode", "https://ct.pinterest.com/v3/?event=init&tid=shop@example.com"])
    out = capsys.readouterr().out
    assert "shop@example.com" not in out
    assert f"sha256:{hashlib.sha256(b'shop@example.com').hexdigest()[:12]}" in out


def test_table_without_requests(monkeypatch, capsys):
    set_stdin(monkeypatch, b"# nothing here\n")
    assert main(["decode"]) == 0
    assert capsys.readouterr().out == "No requests to decode.\n"


def test_console_script():
    script = shutil.which("pintrk-harness")
    assert script is not None, "pintrk-harness is not on PATH; install the package with pip install -e ."
    result = subprocess.run([script, "decode", "--json", CLEAN_URL], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["tid"] == TID


PLACEHOLDER_HASH = hashlib.sha256(b"<user_email_address>").hexdigest()
PLACEHOLDER_URL = f"https://ct.pinterest.com/v3/?event=init&tid=2612345678901&pd=%7B%22em%22%3A%22{PLACEHOLDER_HASH}%22%7D"
PLAIN_EMAIL_URL = "https://ct.pinterest.com/v3/?event=init&tid=2612345678901&pd[em]=jane%40example.com&noscript=1"


def test_json_lint_per_request(capsys):
    main(["decode", "--json", PLACEHOLDER_URL])
    [record] = json_lines(capsys.readouterr().out)
    assert [finding["rule_id"] for finding in record["lint"]] == ["em-placeholder"]


def test_json_lint_rule_disabled(capsys):
    main(["decode", "--json", "--disable-lint", "em-placeholder", PLACEHOLDER_URL])
    [record] = json_lines(capsys.readouterr().out)
    assert record["lint"] == []


def test_unknown_lint_rule_exit_two(capsys):
    assert main(["decode", "--disable-lint", "no-such-rule", PLACEHOLDER_URL]) == 2
    assert "no-such-rule" in capsys.readouterr().err


def test_table_lists_lint_findings(capsys):
    main(["decode", PLACEHOLDER_URL])
    assert "em-placeholder" in capsys.readouterr().out


def test_json_masks_plain_email(capsys):
    main(["decode", "--json", PLAIN_EMAIL_URL])
    output = capsys.readouterr().out
    assert "jane@example.com" not in output
    assert hashlib.sha256(b"jane@example.com").hexdigest() in output


def test_json_plain_emails_on_request(capsys):
    main(["decode", "--json", "--plain-emails", PLAIN_EMAIL_URL])
    [record] = json_lines(capsys.readouterr().out)
    assert record["pd"]["em"] == "jane@example.com"


def test_problem_lines_masked(capsys):
    url = f"https://ct.pinterest.com/v3/?tid={TID}&event=x&ada@example.com=1&ada@example.com=2&ed[bob@example.com][x]=1"
    main(["decode", url])
    out = capsys.readouterr().out
    assert "ada@example.com" not in out
    assert "bob@example.com" not in out
    assert "given 2 times" in out


def test_har_error_masked(tmp_path, capsys):
    har = tmp_path / "broken.har"
    entry = '{"startedDateTime": "ada@example.com", "request": {"method": "GET", "url": "https://ct.pinterest.com/v3/?event=init"}}'
    har.write_text('{"log": {"entries": [' + entry + "]}}", encoding="utf-8")
    assert main(["decode", "--har", str(har)]) == 2
    err = capsys.readouterr().err
    assert "ada@example.com" not in err
    assert "<email sha256:" in err


def test_unknown_lint_rule_masks_email(capsys):
    assert main(["decode", "--disable-lint", "ada@example.com", PLACEHOLDER_URL]) == 2
    error = capsys.readouterr().err
    assert "ada@example.com" not in error
    assert "<email sha256:" in error


def test_email_with_lone_surrogate_decoded(capsys):
    url = "https://ct.pinterest.com/v3/?tid=2612345678901&event=checkout&ed=%7B%22a%22%3A%22%5Cud800%40example.com%22%7D"
    assert main(["decode", "--json", url]) == 0
    [record] = json_lines(capsys.readouterr().out)
    assert record["ed"]["a"].startswith("<email sha256:")


def test_table_escapes_control_characters(capsys):
    url = "https://ct.pinterest.com/v3/?tid=2612345678901&event=%1B%5D0%3Bx%07%1B%5B2J"
    main(["decode", url])
    output = capsys.readouterr().out
    assert "\x1b" not in output
    assert "\\x1b]0;x\\x07\\x1b[2J" in output


SIMPLE_URL = "https://ct.pinterest.com/v3/?event=init&tid=2612345678901"


def test_har_with_byte_order_mark(tmp_path, capsys):
    path = tmp_path / "capture.har"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(har_document([har_entry(SIMPLE_URL)])).encode())
    assert main(["decode", "--json", "--har", str(path)]) == 0
    assert len(json_lines(capsys.readouterr().out)) == 1


def test_har_from_standard_input(monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps(har_document([har_entry(SIMPLE_URL)]))))
    assert main(["decode", "--json", "--har", "-"]) == 0
    assert len(json_lines(capsys.readouterr().out)) == 1


def test_har_json_error_hides_cut_address(tmp_path, capsys):
    # The parser's excerpt ends inside the address, which the masking would not recognise.
    har = tmp_path / "broken.har"
    har.write_text('{"log": {"entries": []}} x "someone.person@examplecompany-with-a-long-name.com"', encoding="utf-8")
    assert main(["decode", "--har", str(har)]) == 2
    err = capsys.readouterr().err
    assert "someone" not in err
    assert "the text there holds an email address, not shown" in err


def test_closed_standard_output_exit_two():
    completed = subprocess.run(
        [sys.executable, "-m", "harness", "decode", "--json", SIMPLE_URL],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        # Close file descriptor 1 in the child, as `>&-` does.
        preexec_fn=lambda: os.close(1),
        check=False,
        timeout=60,
    )
    assert completed.returncode == 2
    assert "standard output is closed" in completed.stderr
