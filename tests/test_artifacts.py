"""Kept artifacts never contain a plain email address."""

from __future__ import annotations

import hashlib
import json
import zipfile

from harness.artifacts import scrub_artifacts

EMAIL = "Ada.Shopper@Example.com"
DIGEST = hashlib.sha256(EMAIL.lower().encode()).hexdigest()
PNG = b"\x89PNG\r\n\x1a\n\x00\xff" + EMAIL.encode()


def test_har_emails_replaced(tmp_path):
    har = tmp_path / "network.har"
    body = json.dumps({"type": "identify", "traits": {"email": EMAIL}})
    har.write_text(json.dumps({"log": {"entries": [{"request": {"postData": {"text": body}}}]}}), encoding="utf-8")
    scrub_artifacts([har])
    text = har.read_text(encoding="utf-8")
    assert EMAIL not in text
    assert DIGEST in text


def test_trace_text_members_replaced(tmp_path):
    trace = tmp_path / "trace.zip"
    with zipfile.ZipFile(trace, "w") as archive:
        archive.writestr("trace.trace", json.dumps({"postData": f'{{"email":"{EMAIL}"}}'}) + "\n")
        archive.writestr("resources/page.png", PNG)
    scrub_artifacts([trace])
    with zipfile.ZipFile(trace) as archive:
        assert EMAIL not in archive.read("trace.trace").decode()
        assert DIGEST in archive.read("trace.trace").decode()
        assert archive.read("resources/page.png") == PNG


def test_unreadable_artifact_deleted(tmp_path):
    har = tmp_path / "network.har"
    har.write_text("{ not json", encoding="utf-8")
    scrub_artifacts([har])
    assert not har.exists()
