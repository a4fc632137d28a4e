"""`pintrk-harness watch URL`: browse a site and see each Pinterest event, with a verdict, as it happens."""

from __future__ import annotations

import argparse
import os
import queue
import signal
import sys
import threading
from pathlib import Path
from types import SimpleNamespace
from typing import Any, TextIO
from urllib.parse import urlsplit

from playwright.sync_api import Error as PlaywrightError
from rich.console import Console

from harness.browser import HarnessBrowser, Scenario, context_options
from harness.capture.call_log import CallLog
from harness.capture.page_loads import PageLoadLog
from harness.capture.proxy import CaptureProxy, ProxyStartError
from harness.capture.routes import PINTEREST_ANSWER, PINTEREST_FORWARD, Capture, RoutePolicy
from harness.check import fixture_settings
from harness.chromium import BrowserNotFoundError
from harness.commands.proxy import DEFAULT_CONFDIR, DEFAULT_PORT, write_instructions
from harness.live_browser import BrowserSession, LaunchPlan, parse_host_mapping
from harness.sites import ProfileError, SiteProfile, load_profile, url_problem
from harness.watch import Watcher, stream_events
from harness.watch_sources import BrowserFeed, proxied_request

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BROKEN = 2


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "watch",
        help="open a site in a browser (or run a proxy) and print each Pinterest event as it happens",
        description=(
            "Open URL in a visible Chromium and print each event the Pinterest tag sends while you browse: time, event, "
            "tag id, em as a hash, key event data, a verdict against the expected settings (from --profile, or from "
            "the Segment CDN settings the page fetched) and its lint findings. With --proxy, no browser starts: "
            "the proxy decodes the tag's requests from any browser or phone set to use it. Ctrl-C stops and prints "
            "a summary. Exit status: 0, 1 when a verdict failed or lint found an error, 2 when watching could not start."
        ),
    )
    parser.add_argument("url", nargs="?", metavar="URL", help="page to open (not needed with --proxy)")
    parser.add_argument("--profile", metavar="FILE", type=Path, help="site profile whose settings the events are checked against")
    parser.add_argument("--proxy", action="store_true", help="run the capture proxy for other clients instead of a browser")
    parser.add_argument(
        "--send-to-pinterest",
        action="store_true",
        help="let requests to ct.pinterest.com reach Pinterest (they then count in your Pinterest data); by default the harness responds to them itself",
    )

    parser.add_argument("--headless", action="store_true", help="run the browser without a window (for scripts and tests)")
    parser.add_argument("--browser", metavar="PATH", help="Chromium executable to use")
    parser.add_argument("--duration", metavar="SECONDS", type=float, help="stop after this many seconds")
    parser.add_argument("--max-events", metavar="N", type=int, help="stop after printing N events")
    parser.add_argument("--offline-scripts", action="store_true", help="serve analytics.js, the Segment CDN settings and API responses, and core.js from the fixtures")
    parser.add_argument("--map-host", metavar="HOST=ADDRESS[:PORT]", action="append", default=[], help="make Chromium resolve HOST to ADDRESS; repeat for more")
    parser.add_argument("--only-mapped-hosts", action="store_true", help="every host not given with --map-host fails to resolve")

    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"with --proxy: port to listen on (default {DEFAULT_PORT}; 0 picks a free one)")
    parser.add_argument("--listen-host", default="127.0.0.1", help="with --proxy: address to listen on (default 127.0.0.1)")
    parser.add_argument(
        "--confdir",
        default=DEFAULT_CONFDIR,
        help=f"with --proxy: mitmproxy's directory for its CA certificate and key, created if missing (default {DEFAULT_CONFDIR})",
    )
    parser.set_defaults(run=run)


def run(
    args: argparse.Namespace,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
    *,
    stop: threading.Event | None = None,
    harness_browser: HarnessBrowser | None = None,
) -> int:
    """Watch until a stop (Ctrl-C, SIGTERM, `stop`, --duration, --max-events), print the summary, return the exit status.

    `harness_browser` lends its Playwright, for callers that already run one in this thread.
    """
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    problem = _check_arguments(args)
    if problem:
        print(f"pintrk-harness watch: {problem}", file=stderr)
        return EXIT_BROKEN
    try:
        profile = load_profile(args.profile) if args.profile else None
    except ProfileError as error:
        print(f"pintrk-harness watch: invalid site profile: {error}", file=stderr)
        return EXIT_BROKEN

    settings = profile.settings if profile is not None else None
    watcher = Watcher(stdout, settings, settings_source="the profile" if settings is not None else None, lint_disabled=frozenset(profile.lint_disabled if profile else []))
    if settings is not None:
        print(f"expected settings from the profile: tid {settings.tid!r}", file=stdout)
    if args.offline_scripts and _served_settings(profile) is None:
        print(
            "pintrk-harness watch: warning: --offline-scripts serves Segment settings without a Pinterest Tag "
            "destination, so the tag never loads; give --profile with settings or fixture_settings",
            file=stderr,
        )
    stop = stop or threading.Event()
    previous_handlers = _stop_on_signals(stop)
    try:
        if args.proxy:
            status = _watch_proxy(args, watcher, stdout, stderr, stop)
        else:
            status = _watch_browser(args, profile, watcher, stdout, stderr, stop, harness_browser)
    finally:
        for number, handler in previous_handlers.items():
            signal.signal(number, handler)
    if status != EXIT_OK:
        return status
    watcher.write_summary()
    lint_errors = [finding for finding in watcher.lint_findings if finding.severity == "error"]
    return EXIT_FAILED if watcher.summary.failures or watcher.summary.missing or lint_errors else EXIT_OK


def _check_arguments(args: argparse.Namespace) -> str | None:
    if not args.proxy and not args.url:
        return "give the URL to open, or --proxy to watch other clients"
    if args.proxy and not args.listen_host.strip():
        return "--listen-host is empty; give an address such as 127.0.0.1, or 0.0.0.0 for every interface"
    if args.proxy and args.url:
        return "--proxy starts no browser, so URL is not used; give one or the other"
    if args.proxy and (args.offline_scripts or args.map_host or args.only_mapped_hosts or args.headless):
        return "--offline-scripts, --map-host, --only-mapped-hosts and --headless set up the browser, which --proxy does not start"
    if args.url and not args.url.lower().startswith(("http://", "https://")):
        return f"URL {args.url!r} is not an http(s) URL"
    if args.url and url_problem(args.url):
        return f"URL {args.url!r}: {url_problem(args.url)}"
    if args.url and not args.headless and _no_display():
        return "no display to open a visible browser in (DISPLAY and WAYLAND_DISPLAY are not set); add --headless, or run under xvfb-run"
    if args.duration is not None and not 0 < args.duration < float("inf"):
        return f"--duration {args.duration:g}: expected a number of seconds above 0"
    if args.max_events is not None and args.max_events <= 0:
        return f"--max-events {args.max_events}: expected a count above 0"
    for text in args.map_host:
        try:
            parse_host_mapping(text)
        except ValueError as error:
            return f"--map-host {error}"
    return None


def _watch_browser(
    args: argparse.Namespace,
    profile: SiteProfile | None,
    watcher: Watcher,
    stdout: TextIO,
    stderr: TextIO,
    stop: threading.Event,
    harness_browser: HarnessBrowser | None,
) -> int:
    plan = LaunchPlan(
        executable=args.browser,
        headless=args.headless,
        host_map=dict(parse_host_mapping(text) for text in args.map_host),
        only_mapped_hosts=args.only_mapped_hosts,
    )
    session = BrowserSession(plan, harness_browser)
    try:
        session.start()
    except (RuntimeError, PlaywrightError, OSError, BrowserNotFoundError) as error:
        print(f"pintrk-harness watch: cannot start Chromium: {error}", file=stderr)
        return EXIT_BROKEN
    try:
        origin = "{0.scheme}://{0.netloc}".format(urlsplit(args.url))
        stored_traits = profile.stored_traits if profile is not None else None
        context = session.browser.new_context(**context_options(origin, stored_traits=stored_traits))
        policy = RoutePolicy(
            answer_scripts=args.offline_scripts,
            answer_segment_api=args.offline_scripts,
            pinterest=PINTEREST_FORWARD if args.send_to_pinterest else PINTEREST_ANSWER,
            block_other_hosts=False,
        )
        capture = Capture(_served_settings(profile), policy=policy)
        call_log = CallLog()
        page_loads = PageLoadLog()
        call_log.install(context)
        capture.install(context)
        page_loads.install(context)
        scenario = Scenario(context, capture, call_log)
        events: queue.Queue[Any] = queue.Queue()
        feed = BrowserFeed(scenario.playwright_page, capture, call_log, page_loads, events)
        destination = "sent to Pinterest" if args.send_to_pinterest else "responded to by the harness (nothing reaches Pinterest)"
        print(f"Watching {args.url}; requests to ct.pinterest.com are {destination}. Press Ctrl-C to stop.", file=stdout, flush=True)
        try:
            scenario.playwright_page.goto(args.url, wait_until="commit")
        except PlaywrightError as error:
            if not stop.is_set():
                print(f"pintrk-harness watch: cannot open {args.url}: {_first_line(error)}", file=stderr)
                return EXIT_BROKEN
        except KeyboardInterrupt:
            stop.set()
        try:
            stream_events(events, watcher, stop=stop, max_events=args.max_events, duration=args.duration, pump=feed.pump)
        except KeyboardInterrupt:
            pass
        except PlaywrightError as error:
            # Ctrl-C in a terminal also reaches Chromium, which then closes: that is a stop, not a failure.
            if not stop.is_set():
                print(f"The browser closed or failed ({_first_line(error)}); watching stopped.", file=stderr)
        _take_last(feed, watcher)
        watcher.flush(force=True)
        return EXIT_OK
    finally:
        _close_quietly(session)


def _watch_proxy(args: argparse.Namespace, watcher: Watcher, stdout: TextIO, stderr: TextIO, stop: threading.Event) -> int:
    events: queue.Queue[Any] = queue.Queue()
    confdir = Path(args.confdir).expanduser()
    try:
        confdir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        print(f"pintrk-harness watch: cannot create --confdir {confdir} ({error}); give a writable directory", file=stderr)
        return EXIT_BROKEN
    proxy = CaptureProxy(
        confdir,
        listen_host=args.listen_host,
        port=args.port,
        passthrough=args.send_to_pinterest,
        on_request=lambda item: events.put(proxied_request(item)),
    )
    try:
        proxy.start()
    except ProxyStartError as error:
        print(f"pintrk-harness watch: {error}", file=stderr)
        return EXIT_BROKEN
    try:
        write_instructions(proxy, SimpleNamespace(passthrough=args.send_to_pinterest, jsonl=None), Console(file=stdout, highlight=False))
        if watcher.settings is None:
            reason = "the profile has settings: auto" if args.profile else "no --profile"
            print(
                f"No verdicts: {reason}, and the proxy sees no Segment settings; give a profile with the settings inline or in a file.",
                file=stdout,
                flush=True,
            )
        try:
            stream_events(events, watcher, stop=stop, max_events=args.max_events, duration=args.duration)
        except KeyboardInterrupt:
            pass
    finally:
        proxy.stop()
    while not events.empty():
        watcher.add(events.get_nowait())
    watcher.flush(force=True)
    return EXIT_OK


def _served_settings(profile: SiteProfile | None) -> dict[str, Any] | None:
    """Return the Pinterest Tag settings that --offline-scripts serves as Segment's CDN response."""
    return fixture_settings(profile) if profile is not None else None


def _take_last(feed: BrowserFeed, watcher: Watcher) -> None:
    """Give the watcher what the feed recorded since its last pump."""
    feed.collect()
    while not feed.target.empty():
        watcher.add(feed.target.get_nowait())


def _close_quietly(session: BrowserSession) -> None:
    try:
        session.close()
    except (PlaywrightError, OSError) as error:
        print(f"pintrk-harness watch: closing the browser failed: {_first_line(error)}", file=sys.stderr)


def _stop_on_signals(stop: threading.Event) -> dict[int, Any]:
    """Make Ctrl-C (SIGINT) and SIGTERM set `stop`; return the previous handlers (none off the main thread).

    A KeyboardInterrupt raised inside a call of Playwright's sync API can
    leave that call waiting forever, so the first signal only sets `stop`,
    which the loop reads within one tick. A second signal interrupts at once.
    """
    if threading.current_thread() is not threading.main_thread():
        return {}

    def request_stop(number: int, frame: Any) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()

    return {number: signal.signal(number, request_stop) for number in (signal.SIGINT, signal.SIGTERM)}


def _no_display() -> bool:
    """Tell whether a visible Chromium would fail to start for want of an X11 or Wayland display (Linux only)."""
    return sys.platform.startswith("linux") and not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY")


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
