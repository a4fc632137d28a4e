"""`pintrk-harness expect CASE.json`: print the pintrk commands the destination makes."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, TextIO

from rich.console import Console
from rich.table import Table
from rich.text import Text

from harness.capture.records import mask_emails
from harness.commands.decode_table import printable
from harness.destination import DestinationRun, run_destination
from harness.parse_errors import PARSE_ERRORS, parse_error_message
from harness.settings import SettingsError, load_settings
from harness.tag import hash_identity

USAGE_ERROR = 2
IDENTITY_KEYS = {"em"}
# Leading hex digits of an email's SHA-256 shown in place of the address.
SHOWN_HASH_DIGITS = 12
# Real cases nest a few levels. The destination model recurses once a level,
# and Python's default recursion limit stops it at about 600.
MAX_CASE_DEPTH = 100


CASE_KEYS = {"settings", "stored_traits", "calls"}
# Keys of a destination test vector, which is a valid case too. Its expected results are ignored.
VECTOR_KEYS = {"id", "note", "pintrk", "pintrk_by_call", "errors"}


class CaseError(ValueError):
    """An invalid case file; the message names the file, the key and the value."""


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "expect",
        help="print the pintrk commands the Segment destination makes for a case",
        description=(
            "Print the pintrk commands Segment's Pinterest Tag destination makes for a case: "
            "a JSON object with settings, stored_traits and calls (Segment messages)."
        ),
    )
    parser.add_argument("case", metavar="CASE.json", help="the case file, or - to read it from standard input")
    parser.add_argument("--json", action="store_true", help="print a JSON array of commands, each as passed to pintrk")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    try:
        case = read_case(args.case)
        settings = load_settings(case["settings"], f"{args.case}: settings")
    except (CaseError, SettingsError) as error:
        print(f"pintrk-harness expect: {mask_emails(str(error), SHOWN_HASH_DIGITS)}", file=stderr)
        return USAGE_ERROR
    for warning in settings.warnings:
        print(f"warning: {mask_emails(warning, SHOWN_HASH_DIGITS)}", file=stderr)
    result = run_destination(settings, case.get("stored_traits"), case.get("calls", []))
    if args.json:
        json.dump(result.commands, stdout, ensure_ascii=False)
        stdout.write("\n")
    else:
        write_table(result, case.get("calls", []), stdout)
    return 0


def read_case(path: str) -> dict[str, Any]:
    """Read and check a case file (or standard input for "-")."""
    try:
        if path == "-":
            if sys.stdin is None:
                raise CaseError("-: standard input is closed; give a case file or pipe one in")
            text = sys.stdin.read()
        else:
            with open(path, encoding="utf-8-sig") as handle:
                text = handle.read()
    except OSError as error:
        raise CaseError(f"{path}: cannot read the case file ({error.strerror})") from error
    except UnicodeDecodeError as error:
        raise CaseError(f"{path}: not UTF-8 text ({error.reason} at byte {error.start})") from error
    try:
        case = json.loads(text)
    except PARSE_ERRORS as error:
        raise CaseError(f"{path}: {parse_error_message(error, 'JSON')}") from error
    if not isinstance(case, dict):
        raise CaseError(f"{path}: expected a JSON object with settings, stored_traits and calls, got {type(case).__name__}")
    if _nested_deeper_than(case, MAX_CASE_DEPTH):
        raise CaseError(f"{path}: nested more than {MAX_CASE_DEPTH} levels deep; the destination model walks every level, so flatten the case")
    unknown = sorted(set(case) - CASE_KEYS - VECTOR_KEYS)
    if unknown:
        raise CaseError(f"{path}: {json.dumps(unknown[0])}: unknown key (known: {', '.join(sorted(CASE_KEYS))})")
    if "settings" not in case:
        raise CaseError(f"{path}: settings: missing; a case needs the destination settings")
    stored_traits = case.get("stored_traits")
    if stored_traits is not None and not isinstance(stored_traits, dict):
        raise CaseError(f"{path}: stored_traits: expected an object of traits or null, got {json.dumps(stored_traits)[:80]}")
    calls = case.get("calls", [])
    if not isinstance(calls, list):
        raise CaseError(f"{path}: calls: expected a list of Segment messages, got {json.dumps(calls)[:80]}")
    for index, call in enumerate(calls):
        if not isinstance(call, dict):
            raise CaseError(f"{path}: calls[{index}]: expected a Segment message object, got {json.dumps(call)[:80]}")
        if call.get("type") not in ("page", "track", "identify"):
            raise CaseError(f"{path}: calls[{index}].type: expected \"page\", \"track\" or \"identify\", got {json.dumps(call.get('type'))}")
    return case


def _nested_deeper_than(value: Any, limit: int) -> bool:
    pending = [(value, 0)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, (dict, list)):
            if depth >= limit:
                return True
            children = item.values() if isinstance(item, dict) else item
            pending.extend((child, depth + 1) for child in children)
    return False


def describe_call(call: dict[str, Any]) -> str:
    """Describe a Segment call in one line, with each email in it shown as its SHA-256."""
    return mask_emails(_describe_call(call), SHOWN_HASH_DIGITS)


def _describe_call(call: dict[str, Any]) -> str:
    kind = call.get("type")
    if kind == "track":
        return f"track {json.dumps(call.get('event'), ensure_ascii=False)}"
    if kind == "page":
        parts = [json.dumps(call[key], ensure_ascii=False) for key in ("category", "name") if call.get(key) is not None]
        return "page " + " ".join(parts) if parts else "page"
    user_id = call.get("userId")
    if user_id is None:
        return "identify (no user id)"
    if "@" in str(user_id):
        return f"identify {mask_identity(user_id)}"
    return f"identify {json.dumps(user_id, ensure_ascii=False)}"


def mask_identity(value: Any) -> str:
    """Show an identity value as the hash the tag would send, never as plain text."""
    return f"sha256:{hash_identity(value)[:16]}…"


def _masked(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: mask_identity(item) if key in IDENTITY_KEYS else _masked(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_masked(item) for item in value]
    return mask_emails(value)


def write_table(result: DestinationRun, calls: list[dict[str, Any]], stream: TextIO) -> None:
    """Write the commands as a table, one row per Segment call, emails shown as hashes."""
    console = Console(file=stream, width=max(100, Console(file=stream).width), soft_wrap=False)
    table = Table(title="pintrk commands the destination makes", show_lines=True)
    table.add_column("step", justify="right")
    table.add_column("Segment call")
    table.add_column("pintrk commands")
    table.add_column("note")
    groups = [(None, "initialize")] + [(call, describe_call(call)) for call in calls]
    for index, ((_, label), call_result) in enumerate(zip(groups, [result.initialize] + result.calls)):
        commands = "\n".join(json.dumps(_masked(command), ensure_ascii=False) for command in result.commands_by_call[index])
        note = call_result.error and f"destination threw: {call_result.error}" or call_result.note or ""
        # Text cells: a name such as "[beta] Signed Up" is shown as written, not read as markup.
        cells = (label, commands or "(none)", note)
        table.add_row("" if index == 0 else str(index), *(Text(printable(cell)) for cell in cells))
    console.print(table)
