"""`pintrk-harness decode`: decode captured requests to Pinterest's tag endpoints."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from typing import IO, Any, Iterator, TextIO

from harness.capture.har import HarError, read_har
from harness.capture.records import mask_emails
from harness.commands.decode_table import write_table
from harness.lint import Finding, findings_to_json, lint, validate_rule_ids
from harness.wire import TagRequest, decode_request

USAGE_ERROR = 2
HAS_PROBLEMS = 1


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "decode",
        help="decode captured requests to Pinterest's tag endpoints",
        description=(
            "Decode requests to ct.pinterest.com and list their event, tag id, event data and problems. "
            "With no URL and no --har, requests are read from standard input, one 'METHOD URL [BODY]' "
            "per line (a line with only a URL is a GET); blank lines and lines starting with '#' are skipped. "
            "Exit status: 0 when every request decoded cleanly, 1 when any has problems, "
            "2 for a usage error or an unreadable file."
        ),
    )
    parser.add_argument("urls", nargs="*", metavar="URL", help="a request URL to decode as a GET request")
    parser.add_argument("--har", metavar="FILE", help="decode every request to a Pinterest host in this HAR file (- for standard input), after any URL arguments")
    parser.add_argument("--json", action="store_true", help="print one JSON object per request, one per line, with the lint findings of that request alone under \"lint\"")
    parser.add_argument("--disable-lint", metavar="RULE", action="append", default=[], help="switch a lint rule off by id; repeat for more")
    parser.add_argument("--no-lint", action="store_true", help="do not lint the decoded requests")
    parser.add_argument(
        "--plain-emails",
        action="store_true",
        help="print email addresses found in requests as sent; by default each is replaced by its SHA-256",
    )
    parser.set_defaults(run=run)


def run(
    args: argparse.Namespace,
    stdin: IO[Any] | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Decode the requests the arguments name, print them, and return the exit status."""
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr

    disabled = set(args.disable_lint)
    try:
        validate_rule_ids(disabled)
    except ValueError as error:
        print(mask_emails(f"pintrk-harness decode: --disable-lint: {error}", 12), file=stderr)
        return USAGE_ERROR

    decoded: list[TagRequest] = []
    with_problems = 0
    status = 0
    try:
        for index, request in enumerate(_requests(args, stdin)):
            with_problems += bool(request.problems)
            if args.json:
                # Streaming keeps memory bounded, so each request is linted on its own here:
                # rules that compare several requests (tag-id-conflict, event-id-reused) run only for the table.
                findings = [] if args.no_lint else lint([request], disabled=disabled)
                findings = [replace(finding, request_index=index) for finding in findings]
                write_json_line(request, stdout, findings, plain_emails=args.plain_emails)
            else:
                decoded.append(request)
    except HarError as error:
        message = str(error) if args.plain_emails else mask_emails(str(error))
        print(f"pintrk-harness decode: {message}", file=stderr)
        status = USAGE_ERROR

    if not args.json:
        write_table(decoded, stdout)
        if not args.no_lint and decoded:
            write_findings(lint(decoded, disabled=disabled), stdout)
    if status == 0 and with_problems:
        status = HAS_PROBLEMS
    return status


def _requests(args: argparse.Namespace, stdin: IO[Any]) -> Iterator[TagRequest]:
    for url in args.urls:
        yield decode_request(url, "GET")
    if args.har == "-":
        yield from read_har(getattr(stdin, "buffer", stdin))
    elif args.har is not None:
        yield from read_har(args.har)
    if not args.urls and args.har is None:
        yield from read_request_lines(stdin)


def read_request_lines(stream: IO[Any]) -> Iterator[TagRequest]:
    """Decode each `METHOD URL [BODY]` line of a stream. A line with one word is a GET URL.

    Lines are read as bytes when the stream has a binary buffer, so text that
    is not UTF-8 reaches the decoder, which reports it, instead of stopping
    the read with UnicodeDecodeError.
    """
    source = getattr(stream, "buffer", stream)
    for line in source:
        if isinstance(line, str):
            line = line.encode("utf-8", "surrogatepass")
        line = line.strip()
        if not line or line.startswith(b"#"):
            continue
        words = line.split(None, 2)
        if len(words) == 1:
            yield decode_request(words[0], "GET")
        else:
            body = words[2] if len(words) == 3 else None
            yield decode_request(words[1], words[0], body)


def write_json_line(request: TagRequest, stream: TextIO, findings: list[Finding] | None = None, plain_emails: bool = False) -> None:
    """Write a request as one line of JSON, with its lint findings and emails replaced by their hash."""
    record = request.to_json()
    record["lint"] = findings_to_json(findings or [])
    if not plain_emails:
        record = mask_emails(record)
    # ensure_ascii: decoded JSON may hold lone surrogates (from `\ud800`
    # escapes), which a UTF-8 stream cannot encode.
    stream.write(json.dumps(record, ensure_ascii=True))
    stream.write("\n")


def write_findings(findings: list[Finding], stream: TextIO) -> None:
    """List lint findings below the table, numbered like its rows."""
    if not findings:
        return
    stream.write(f"lint: {len(findings)} finding{'s' if len(findings) != 1 else ''}\n")
    for finding in findings:
        row = f"#{finding.request_index + 1} " if finding.request_index is not None else ""
        stream.write(f"  {row}{finding.severity}: {finding.rule_id}: {finding.message}\n")
