"""Turn a captured TagRequest into a JSON-lines record and a one-line summary.

Pure. Both outputs show a plain email address only as its SHA-256, unless a
caller asks for the record as sent.
"""

from __future__ import annotations

import time as time_module
from dataclasses import dataclass
from typing import Any

from harness.email_mask import email_digest, mask_emails
from harness.wire import TagRequest, is_hash

_MAX_DATA_KEYS = 6
_MAX_VALUE_CHARS = 32


def to_record(request: TagRequest, client: str, plain_emails: bool = False) -> dict[str, Any]:
    """Build the JSON-lines record of one captured request: `time`, `client`, then TagRequest.to_json()."""
    record = {"time": request.time, "client": client, **request.to_json()}
    if plain_emails:
        return record
    return mask_emails(record)


@dataclass(frozen=True)
class EventSummary:
    """The parts of a captured request a person reads first."""

    endpoint: str
    event: str
    tid: str
    em: str
    event_data: str
    problems: int


def summarize(request: TagRequest) -> EventSummary:
    """Summarize a request: event, tag id, the em state (never a plain address) and the main event data."""
    return EventSummary(
        endpoint=request.endpoint,
        event=request.event if request.event is not None else "(no event)",
        tid=request.tid if request.tid is not None else "(no tid)",
        em=describe_em(request.pd),
        event_data=describe_event_data(request),
        problems=len(request.problems),
    )


def summary_line(request: TagRequest, client: str) -> str:
    """Write one plain-text line for a captured request, as the proxy logs it."""
    summary = summarize(request)
    parts = [
        format_time(request.time),
        client,
        summary.endpoint,
        summary.event,
        f"tid={summary.tid}",
        summary.em,
    ]
    if summary.event_data:
        parts.append(summary.event_data)
    if summary.problems:
        parts.append(f"[{summary.problems} problem{'s' if summary.problems != 1 else ''}]")
    return " ".join(parts)


def format_time(seconds: float | None) -> str:
    """Format seconds since the epoch as local HH:MM:SS.mmm, or `--:--:--.---` when unknown."""
    if seconds is None:
        return "--:--:--.---"
    clock = time_module.strftime("%H:%M:%S", time_module.localtime(seconds))
    return f"{clock}.{int(seconds * 1000) % 1000:03d}"


def describe_em(partner_data: Any) -> str:
    """Describe pd.em: `no em`, or `em present` with the first 8 hex digits of its hash."""
    if not isinstance(partner_data, dict) or "em" not in partner_data:
        return "no em"
    email = partner_data["em"]
    if not isinstance(email, str):
        return "em present (not a string)"
    if is_hash(email):
        return f"em present {email[:8].lower()}…"
    if "@" in email:
        return f"em present (plain email address, sha256 {email_digest(email)[:8]}…)"
    return f"em present (not a hash, {len(email)} characters)"


def describe_event_data(request: TagRequest) -> str:
    """List the first top-level keys of the event data as key=value, emails masked."""
    if request.ed is None:
        return "ed invalid" if "ed" in request.raw else ""
    if not isinstance(request.ed, dict):
        return "ed not an object"

    parts = []
    for key, value in list(request.ed.items())[:_MAX_DATA_KEYS]:
        parts.append(f"{mask_emails(key)}={_describe_value(value)}")
    hidden = len(request.ed) - _MAX_DATA_KEYS
    if hidden > 0:
        parts.append(f"(+{hidden} more)")
    return " ".join(parts)


def _describe_value(value: Any) -> str:
    if isinstance(value, list):
        return f"[{len(value)} item{'s' if len(value) != 1 else ''}]"
    if isinstance(value, dict):
        return f"{{{len(value)} key{'s' if len(value) != 1 else ''}}}"
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    text = mask_emails(str(value))
    if len(text) > _MAX_VALUE_CHARS:
        text = text[: _MAX_VALUE_CHARS - 1] + "…"
    if isinstance(value, str) and (not text or " " in text):
        return f'"{text}"'
    return text
