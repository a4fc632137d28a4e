"""`pintrk-harness proxy`: run mitmproxy in the foreground and print each Pinterest tag request it decodes."""

from __future__ import annotations

import argparse
import logging
import queue
import signal
import sys
import threading
from collections import Counter
from pathlib import Path
from typing import Any, TextIO

from rich.console import Console
from rich.table import Table
from rich.text import Text

from harness.capture.proxy import ProxiedRequest, CaptureProxy, ProxyStartError
from harness.capture.records import format_time, mask_emails, summarize

DEFAULT_PORT = 8080
# mitmproxy's own default, so a CA already installed for mitmproxy keeps working.
DEFAULT_CONFDIR = "~/.mitmproxy"
START_FAILED = 2
USAGE_ERROR = 2
# How often the foreground loop checks for a stop request between events.
_POLL_SECONDS = 0.2


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "proxy",
        help="run a proxy that decodes every Pinterest tag request passing through it",
        description=(
            "Run mitmproxy in the foreground and print each request to ct.pinterest.com it decodes, "
            "from any browser or phone set to use it. The proxy responds to requests for Pinterest itself "
            "unless --passthrough is given. Ctrl-C stops it and prints a summary."
        ),
    )
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port to listen on (default {DEFAULT_PORT}; 0 picks a free one)")
    parser.add_argument(
        "--listen-host",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1; use 0.0.0.0 so a phone on the same network can connect)",
    )
    parser.add_argument(
        "--passthrough",
        action="store_true",
        help="send requests on to Pinterest instead of responding locally (they then reach your Pinterest data)",
    )
    parser.add_argument("--jsonl", metavar="FILE", help="append each decoded request to FILE as one JSON object per line")
    parser.add_argument(
        "--confdir",
        default=DEFAULT_CONFDIR,
        help=f"mitmproxy's directory for its CA certificate and key, created if missing (default {DEFAULT_CONFDIR})",
    )
    parser.set_defaults(run=run)


def run(
    args: argparse.Namespace,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
    stop: threading.Event | None = None,
) -> int:
    """Run until Ctrl-C, SIGTERM or `stop` is set, then print a summary."""
    console = Console(file=stdout or sys.stdout, highlight=False)
    errors = Console(file=stderr or sys.stderr, highlight=False)
    if not args.listen_host.strip():
        errors.print("pintrk-harness proxy: --listen-host is empty; give an address such as 127.0.0.1, or 0.0.0.0 for every interface", markup=False, soft_wrap=True)
        return START_FAILED
    confdir = Path(args.confdir).expanduser()
    try:
        confdir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        errors.print(f"pintrk-harness proxy: cannot create --confdir {confdir} ({error}); give a writable directory", markup=False, soft_wrap=True)
        return USAGE_ERROR
    proxy = CaptureProxy(
        confdir,
        listen_host=args.listen_host,
        port=args.port,
        passthrough=args.passthrough,
        jsonl=args.jsonl,
    )
    warnings = _WarningPrinter(errors)
    try:
        try:
            proxy.start()
        except ProxyStartError as error:
            # mitmproxy logs a failed listen as a warning too, so only this one message is printed.
            hint = "; choose another --port, or --port 0 for a free one" if "address already in use" in str(error) else ""
            errors.print(f"pintrk-harness proxy: {error}{hint}", markup=False, soft_wrap=True)
            return START_FAILED
        warnings.install()
        tally = _Tally()
        # Set before "Press Ctrl-C" is printed, so a signal right after it is handled.
        previous_handlers = _interrupt_on_signals()
        try:
            write_instructions(proxy, args, console)
            _print_until_stopped(proxy, console, tally, stop)
        except KeyboardInterrupt:
            pass
        finally:
            proxy.stop()
            for number, handler in previous_handlers.items():
                signal.signal(number, handler)
        _drain(proxy, console, tally)
        write_summary(tally, warnings.count, console)
        return 0
    finally:
        warnings.uninstall()


def write_instructions(proxy: CaptureProxy, args: argparse.Namespace, console: Console) -> None:
    """Print where the proxy listens, how to point a browser or phone at it, and where its CA is."""
    mode = "passed through to Pinterest" if args.passthrough else "responded to locally (nothing reaches Pinterest)"
    lines = [
        f"Proxy listening on {proxy.url}; requests to ct.pinterest.com are {mode}.",
        f"CA certificate: {proxy.ca_cert_path}",
        "Chromium or Chrome, trusting the CA for this run only:",
        f"  chromium --proxy-server={proxy.url} --ignore-certificate-errors-spki-list={proxy.spki_hash}"
        " --user-data-dir=$(mktemp -d)",
        f"Any other browser or phone: set its HTTP and HTTPS proxy to this machine, port {proxy.port},",
        "  then open http://mitm.it through the proxy to download and install the CA.",
    ]
    if proxy.listen_host in ("127.0.0.1", "::1", "localhost"):
        lines.append("  (Only this machine can connect; for a phone, restart with --listen-host 0.0.0.0.)")
    if args.jsonl:
        lines.append(f"Writing each request to {args.jsonl} (email addresses as their SHA-256).")
    lines.append("Press Ctrl-C to stop and print a summary.")
    for line in lines:
        console.print(line, markup=False, soft_wrap=True)


def format_event(item: ProxiedRequest) -> Text:
    """Build the one-line view of a captured request: time, client, event, tid, em, key event data."""
    request = item.request
    summary = summarize(request)
    line = Text()
    line.append(format_time(request.time), style="dim")
    line.append(f" {item.client} ", style="cyan")
    line.append(summary.event, style="bold")
    line.append(f" {summary.endpoint} tid={summary.tid} ")
    line.append(summary.em, style="green" if summary.em.startswith("em present") and "(" not in summary.em else "yellow")
    if summary.event_data:
        line.append(f" {summary.event_data}")
    if request.problems:
        count = len(request.problems)
        line.append(f"  {count} problem{'s' if count != 1 else ''}: {mask_emails(request.problems[0])}", style="red")
    return line


def write_summary(tally: _Tally, warning_count: int, console: Console) -> None:
    """Print the counts per event and every distinct problem."""
    if not tally.events:
        console.print("No Pinterest tag requests were captured.")
    else:
        table = Table(title="Captured requests")
        table.add_column("event")
        table.add_column("endpoint")
        table.add_column("requests", justify="right")
        table.add_column("with em", justify="right")
        for (event, endpoint), count in tally.events.most_common():
            table.add_row(event, endpoint, str(count), str(tally.with_email[(event, endpoint)]))
        console.print(table)

    if tally.problems:
        console.print(f"Problems ({sum(tally.problems.values())} in {tally.requests_with_problems} requests):")
        for problem, count in tally.problems.most_common():
            console.print(f"  {count} x {problem}", markup=False, soft_wrap=True)
    else:
        console.print("No problems in the captured requests.")
    if warning_count:
        console.print(f"{warning_count} proxy warnings were printed to standard error.")


class _Tally:
    def __init__(self) -> None:
        self.events: Counter[tuple[str, str]] = Counter()
        self.with_email: Counter[tuple[str, str]] = Counter()
        self.problems: Counter[str] = Counter()
        self.requests_with_problems = 0

    def add(self, item: ProxiedRequest) -> None:
        summary = summarize(item.request)
        key = (summary.event, summary.endpoint)
        self.events[key] += 1
        if summary.em != "no em":
            self.with_email[key] += 1
        if item.request.problems:
            self.requests_with_problems += 1
        for problem in item.request.problems:
            self.problems[mask_emails(problem)] += 1


def _interrupt_on_signals() -> dict[int, Any]:
    """Make SIGINT and SIGTERM stop the proxy; return the previous handlers (none off the main thread).

    SIGINT is set too because a shell starts a background job with SIGINT
    ignored, and `kill -INT` should still stop the proxy with its summary.
    """
    if threading.current_thread() is not threading.main_thread():
        return {}
    return {number: signal.signal(number, signal.default_int_handler) for number in (signal.SIGINT, signal.SIGTERM)}


def _print_until_stopped(proxy: CaptureProxy, console: Console, tally: _Tally, stop: threading.Event | None) -> None:
    while stop is None or not stop.is_set():
        try:
            item = proxy.queue.get(timeout=_POLL_SECONDS)
        except queue.Empty:
            continue
        _show(item, console, tally)


def _drain(proxy: CaptureProxy, console: Console, tally: _Tally) -> None:
    while True:
        try:
            item = proxy.queue.get_nowait()
        except queue.Empty:
            return
        _show(item, console, tally)


def _show(item: ProxiedRequest, console: Console, tally: _Tally) -> None:
    tally.add(item)
    console.print(format_event(item), soft_wrap=True)


class _WarningPrinter(logging.Handler):
    """Prints warnings from mitmproxy and the addon (an untrusted CA, a failed write) to standard error."""

    _LOGGERS = ("mitmproxy", "harness.capture")

    def __init__(self, console: Console) -> None:
        super().__init__(logging.WARNING)
        self.console = console
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1
        client = getattr(record, "client", None)
        prefix = f"{client[0]}:{client[1]} " if isinstance(client, tuple) and len(client) >= 2 else ""
        self.console.print(f"warning: {prefix}{mask_emails(record.getMessage())}", style="yellow", markup=False, soft_wrap=True)

    def install(self) -> None:
        for name in self._LOGGERS:
            logging.getLogger(name).addHandler(self)

    def uninstall(self) -> None:
        for name in self._LOGGERS:
            logging.getLogger(name).removeHandler(self)
