"""HAR files shaped like Chrome DevTools' export, built for tests."""

from __future__ import annotations

import json
from pathlib import Path

STARTED = "2024-03-01T10:00:00.250Z"


def har_entry(url: str, method: str = "GET", body: str | None = None, mime_type: str | None = None, started: str = STARTED) -> dict:
    """Build an entry shaped like Chrome DevTools' export, with the fields the reader skips."""
    request = {
        "method": method,
        "url": url,
        "httpVersion": "http/2.0",
        "headers": [{"name": "accept", "value": "image/avif,image/webp,*/*"}],
        "queryString": [],
        "cookies": [],
        "headersSize": -1,
        "bodySize": 0,
    }
    if body is not None:
        request["postData"] = {"mimeType": mime_type or "application/x-www-form-urlencoded", "text": body}
    return {
        "_initiator": {"type": "script"},
        "_resourceType": "image",
        "cache": {},
        "connection": "443",
        "pageref": "page_1",
        "request": request,
        "response": {"status": 200, "statusText": "", "headers": [], "content": {"size": 43, "mimeType": "image/gif"}},
        "serverIPAddress": "127.0.0.1",
        "startedDateTime": started,
        "time": 12.5,
        "timings": {"blocked": 1, "dns": -1, "send": 0.1, "wait": 10, "receive": 0.4},
    }


def har_document(entries: list) -> dict:
    return {
        "log": {
            "version": "1.2",
            "creator": {"name": "WebInspector", "version": "537.36"},
            "pages": [{"startedDateTime": STARTED, "id": "page_1", "title": "https://shop.example/", "pageTimings": {}}],
            "entries": entries,
        }
    }


def write_har(path: Path, entries: list) -> Path:
    path.write_text(json.dumps(har_document(entries)), encoding="utf-8")
    return path
