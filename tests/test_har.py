"""Tests for reading HAR files (harness.capture.har)."""

from __future__ import annotations

import io
import json
import tracemalloc
from datetime import datetime, timezone

import pytest

from har_files import har_document, har_entry, write_har
from harness.capture.har import HarError, read_har
from harness.wire import decode_request
from shared_vectors import wire_captures

CAPTURES = list(wire_captures())


def capture_entries() -> list[dict]:
    return [har_entry(url, method, body) for _, method, url, body in CAPTURES]


def test_pinterest_requests_in_order(tmp_path):
    entries = capture_entries()
    entries.insert(1, har_entry("https://shop.example/app.js"))
    entries.append(har_entry("https://s.pinimg.com/ct/core.js"))
    requests = list(read_har(write_har(tmp_path / "shop.har", entries)))
    expected_urls = [url for _, _, url, _ in CAPTURES] + ["https://s.pinimg.com/ct/core.js"]
    assert [request.url for request in requests] == expected_urls


def test_fields_match_decoder(tmp_path):
    requests = list(read_har(write_har(tmp_path / "shop.har", capture_entries())))
    for request, (_, method, url, body) in zip(requests, CAPTURES):
        assert request.to_json() == decode_request(url, method, body).to_json()


def test_form_post_body(tmp_path):
    body = "tid=2612345678901&event=checkout&ed=%7B%22value%22%3A10%2C%22product_name%22%3A%22Blue+Pillow%22%7D"
    entry = har_entry("https://ct.pinterest.com/v3/", "POST", body, "application/x-www-form-urlencoded")
    [request] = read_har(write_har(tmp_path / "form.har", [entry]))
    assert request.transport == "form"
    assert request.ed == {"value": 10, "product_name": "Blue Pillow"}
    assert request.problems == []


def test_started_time(tmp_path):
    entries = [har_entry("https://ct.pinterest.com/v3/?tid=1&event=init", started="2024-03-01T11:00:00.250+01:00")]
    [request] = read_har(write_har(tmp_path / "time.har", entries))
    assert request.time == datetime(2024, 3, 1, 10, 0, 0, 250_000, tzinfo=timezone.utc).timestamp()


def test_missing_started_time(tmp_path):
    entry = har_entry("https://ct.pinterest.com/v3/?tid=1&event=init")
    del entry["startedDateTime"]
    [request] = read_har(write_har(tmp_path / "time.har", [entry]))
    assert request.time is None


def test_binary_file_object():
    stream = io.BytesIO(json.dumps(har_document(capture_entries())).encode("utf-8"))
    assert len(list(read_har(stream))) == len(CAPTURES)


def test_text_file_object():
    stream = io.StringIO(json.dumps(har_document(capture_entries()), ensure_ascii=False))
    assert [request.event for request in read_har(stream)][:3] == ["init", "pagevisit", "checkout"]


def test_string_path(tmp_path):
    path = write_har(tmp_path / "shop.har", capture_entries())
    assert len(list(read_har(str(path)))) == len(CAPTURES)


def test_empty_entries(tmp_path):
    assert list(read_har(write_har(tmp_path / "empty.har", []))) == []


def test_missing_file(tmp_path):
    path = tmp_path / "missing.har"
    with pytest.raises(HarError) as error:
        list(read_har(path))
    assert str(error.value) == f"{path}: cannot open the HAR file (No such file or directory)"


BAD_HARS = [
    ("not JSON", b"<html>", "invalid JSON (lexical error: invalid char in json text near '<html>')"),
    ("truncated", b'{"log": {"entries": [', "invalid JSON (the file ends inside the JSON, so it is probably truncated)"),
    ("empty", b"", "invalid JSON (the file ends inside the JSON, so it is probably truncated)"),
    ("array", b"[]", "not a HAR file, because the top level is not a JSON object"),
    ("no log", b'{"entries": []}', "not a HAR file, because log.entries is missing"),
    ("log number", b'{"log": 3}', "log is a number, expected an object"),
    ("no entries", b'{"log": {"version": "1.2"}}', "not a HAR file, because log.entries is missing"),
    ("entries object", b'{"log": {"entries": {}}}', "log.entries is an object, expected an array"),
    ("entry string", b'{"log": {"entries": ["x"]}}', "log.entries[0] is a string, expected an object"),
    ("request array", b'{"log": {"entries": [{"request": []}]}}', "log.entries[0].request is an array, expected an object"),
    ("url missing", b'{"log": {"entries": [{"request": {"method": "GET"}}]}}', "log.entries[0].request.url is missing"),
    ("method missing", b'{"log": {"entries": [{"request": {"url": "https://ct.pinterest.com/v3/"}}]}}', "log.entries[0].request.method is missing"),
    ("url number", b'{"log": {"entries": [{"request": {"url": 5, "method": "GET"}}]}}', "log.entries[0].request.url is a number, expected a string"),
    ("body object", b'{"log": {"entries": [{"request": {"url": "https://ct.pinterest.com/v3/", "method": "POST", "postData": {"text": {}}}}]}}', "log.entries[0].request.postData.text is an object, expected a string"),
    ("postData string", b'{"log": {"entries": [{"request": {"url": "https://ct.pinterest.com/v3/", "method": "POST", "postData": "x"}}]}}', "log.entries[0].request.postData is a string, expected an object"),
    ("bad UTF-8", b'{"log": {"entries": [{"request": {"url": "\xff", "method": "GET"}}]}}', "invalid JSON (lexical error: invalid bytes in UTF8 string near"),
]


@pytest.mark.parametrize(("content", "message"), [case[1:] for case in BAD_HARS], ids=[case[0] for case in BAD_HARS])
def test_bad_har(tmp_path, content, message):
    path = tmp_path / "bad.har"
    path.write_bytes(content)
    with pytest.raises(HarError) as error:
        list(read_har(path))
    assert str(error.value).startswith(f"{path}: {message}")
    assert "export the HAR again" in str(error.value)


def test_bad_time(tmp_path):
    entries = [har_entry("https://ct.pinterest.com/v3/?tid=1&event=init", started="yesterday")]
    with pytest.raises(HarError) as error:
        list(read_har(write_har(tmp_path / "time.har", entries)))
    assert "log.entries[0].startedDateTime is 'yesterday'" in str(error.value)


def test_second_entry_named(tmp_path):
    entries = [har_entry("https://ct.pinterest.com/v3/?tid=1&event=init"), {"request": {"url": "https://ct.pinterest.com/v3/"}}]
    requests = []
    with pytest.raises(HarError) as error:
        for request in read_har(write_har(tmp_path / "two.har", entries)):
            requests.append(request)
    assert len(requests) == 1
    assert "log.entries[1].request.method is missing" in str(error.value)


def test_stream_name_in_error():
    stream = io.BytesIO(b"[]")
    with pytest.raises(HarError) as error:
        list(read_har(stream))
    assert str(error.value).startswith("<stream>: not a HAR file")


class FailingStream:
    """A binary stream whose second read fails, as a disk or a network share can."""

    name = "disk.har"

    def __init__(self) -> None:
        self.chunks = [b'{"log": {"entries": [']

    def read(self, size: int = -1) -> bytes:
        if size == 0:
            return b""
        if self.chunks:
            return self.chunks.pop()
        raise OSError(5, "Input/output error")


def test_read_error():
    with pytest.raises(HarError) as error:
        list(read_har(FailingStream()))
    assert str(error.value) == "disk.har: cannot read the HAR file (Input/output error)"


def test_memory_bounded(tmp_path):
    # 400 entries with a 50 kB response body each make a 20 MB file.
    entries = []
    for index in range(400):
        entry = har_entry(f"https://ct.pinterest.com/v3/?tid=1&event=init&cb={index}")
        entry["response"]["content"]["text"] = "R0lGOD" * 8_500
        entries.append(entry)
    path = write_har(tmp_path / "big.har", entries)
    del entries
    size = path.stat().st_size

    tracemalloc.start()
    try:
        count = sum(1 for _ in read_har(path))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 400
    assert size > 20_000_000
    assert peak < size / 20


def test_deep_har_rejected_cheaply(tmp_path) -> None:
    # Each ijson event carries its whole prefix. Without the depth limit, decode
    # took about 1 GB and 2 s on a 40 KB file like this one.
    path = tmp_path / "deep.har"
    entry = json.dumps(har_entry("https://ct.pinterest.com/v3/?event=init&tid=2612345678901"))
    path.write_text('{"log": {"entries": [' + entry[:-1] + ', "x": ' + "[" * 20_000 + "]" * 20_000 + "}]}}", encoding="utf-8")
    tracemalloc.start()
    try:
        with pytest.raises(HarError, match=r"deep\.har: log\.entries\[0\] is nested more than 100 levels deep"):
            list(read_har(path))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 100_000_000
