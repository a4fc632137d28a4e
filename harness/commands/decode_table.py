"""The terminal table `pintrk-harness decode` prints: one row per decoded request.

Plain email addresses never appear: a value that looks like one (which the
hand-written noscript fallback can send) is shown masked, with its SHA-256.
"""

from __future__ import annotations

import json
import re
from typing import Any, Sequence, TextIO

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from harness.email_mask import mask_emails
from harness.wire import TagRequest, is_hash, split_url

_MAX_VALUE_LENGTH = 40
_MAX_KEYS_SHOWN = 8
_HASH_SHOWN = 12
# Control characters other than tab and newline: captured data could move the cursor or retitle the terminal.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def write_table(requests: Sequence[TagRequest], stream: TextIO) -> None:
    """Print the requests as a table, then each problem in red, then a one-line summary.

    Problems go below the table, marked with the row number, so that they
    keep the full width of a narrow terminal.
    """
    console = Console(file=stream, highlight=False)
    if not requests:
        console.print("No requests to decode.")
        return

    table = Table(box=box.SIMPLE_HEAD, show_lines=True, pad_edge=False, collapse_padding=True)
    table.add_column("#", no_wrap=True)
    for column in ("endpoint", "event", "tid"):
        table.add_column(column, overflow="fold")
    # The event data column takes whatever width the others leave.
    table.add_column("event data", overflow="fold", ratio=1)
    table.add_column("em", overflow="fold")
    for number, request in enumerate(requests, start=1):
        table.add_row(
            Text(str(number), style="red" if request.problems else ""),
            _endpoint_cell(request),
            Text(show_value(request.event) if request.event is not None else ""),
            Text(show_value(request.tid) if request.tid is not None else ""),
            _event_data_cell(request),
            Text(_show_em(request.pd)),
        )
    console.print(table)

    for number, request in enumerate(requests, start=1):
        for problem in request.problems:
            console.print(Text(f"#{number} {printable(mask_emails(problem, _HASH_SHOWN))}", style="red"))
    with_problems = sum(1 for request in requests if request.problems)
    summary = f"{len(requests)} request{'s' if len(requests) != 1 else ''}, {with_problems} with problems"
    console.print(Text(summary, style="red" if with_problems else ""))


def _endpoint_cell(request: TagRequest) -> Text:
    if request.endpoint != "other":
        return Text(request.endpoint)
    host, path, _ = split_url(request.url)
    return Text(f"other\n{show_value(host + path)}")


def _event_data_cell(request: TagRequest) -> Text:
    """Summarise ed, then list the other parameters and any unusual transport, dimmed."""
    lines = []
    if request.ed is not None:
        lines.append(Text(summarise(request.ed)))
    elif "ed" in request.raw:
        lines.append(Text("invalid JSON", style="red"))
    for name, value in request.params.items():
        lines.append(Text(f"{show_value(name)}={show_value(value)}", style="dim"))
    if request.method != "GET" or request.transport != "get":
        lines.append(Text(f"sent as {request.method} {request.transport}", style="dim"))
    return Text("\n").join(lines)


def summarise(data: Any) -> str:
    """Summarise event data, a key per line: scalars as key=value, lists and objects by size."""
    if not isinstance(data, dict):
        return show_value(data)
    lines = []
    for key, value in list(data.items())[:_MAX_KEYS_SHOWN]:
        key = show_value(key)
        if isinstance(value, list):
            lines.append(f"{key}: {len(value)} item{'s' if len(value) != 1 else ''}")
        elif isinstance(value, dict):
            lines.append(f"{key}: {len(value)} key{'s' if len(value) != 1 else ''}")
        else:
            lines.append(f"{key}={show_value(value)}")
    if len(data) > _MAX_KEYS_SHOWN:
        lines.append(f"… {len(data) - _MAX_KEYS_SHOWN} more")
    return "\n".join(lines)


def _show_em(partner_data: Any) -> str:
    email = partner_data.get("em") if isinstance(partner_data, dict) else None
    if email is None:
        return ""
    if isinstance(email, str) and is_hash(email):
        return email[:_HASH_SHOWN] + "…"
    return show_value(email)


def show_value(value: Any) -> str:
    """Show a value shortened, with each email address in it replaced by its SHA-256, as the tag would hash it."""
    if not isinstance(value, str):
        value = json.dumps(value, ensure_ascii=False)
    masked = mask_emails(value, _HASH_SHOWN)
    if masked != value:
        return printable(masked)
    if len(value) > _MAX_VALUE_LENGTH:
        value = value[:_MAX_VALUE_LENGTH] + "…"
    return printable(value)


def printable(text: str) -> str:
    """Make text safe for a terminal: control characters as `\\xNN`, lone surrogates (from JSON `\\ud800` escapes) as `?`."""
    text = _CONTROL.sub(lambda match: f"\\x{ord(match[0]):02x}", text)
    if text.isascii():
        return text
    return text.encode("utf-8", "replace").decode("utf-8")
