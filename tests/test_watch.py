"""Watch mode: the streaming loop on its own, in a real Chromium on the live-like shop, and through the real proxy."""

from __future__ import annotations

import argparse
import io
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path
from typing import Any, Iterator

import pytest

from harness.browser import HarnessBrowser
from harness.capture.proxy import CaptureProxy
from harness.capture.page_loads import PageLoad
from harness.capture.routes import CapturedRequest, SegmentCall
from harness.commands import watch as watch_command
from harness.settings import load_settings
from harness.watch import STOP_DURATION, STOP_EVENT, STOP_MAX_EVENTS, SegmentRequest, Watcher, mapping_verdict, stream_events
from harness.watch_sources import proxied_request
from harness.wire import decode_request
from live_site import SITE_DIR, SITE_HOST, TAG_ID, SiteServer, site_server

SETTINGS = load_settings({"tid": TAG_ID, "pinterestEventMapping": {"Signed Up": "Signup"}})
CHECKOUT_URL = (
    f"https://ct.pinterest.com/v3/?tid={TAG_ID}&event=Checkout"
    "&ed=%7B%22order_id%22%3A%22RL-5001%22%2C%22value%22%3A249%2C%22currency%22%3A%22USD%22%7D&cb=1"
)
PLACEHOLDER_EM = "24aba99b2defbb47ee981b4200313f61f3ae31541d8717bdac1e463c838939b0"

# Runs the watch command's parser and run() in a child process, as `pintrk-harness watch` would.
WATCH_MAIN = (
    "import argparse, sys\n"
    "from harness.commands import watch\n"
    "parser = argparse.ArgumentParser(prog='pintrk-harness')\n"
    "watch.add_parser(parser.add_subparsers(dest='command'))\n"
    "args = parser.parse_args(sys.argv[1:])\n"
    "sys.exit(args.run(args))\n"
)


class FakeClock:
    """A clock the test moves by hand, so the grace period needs no waiting."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def captured(url: str, at: float = 1_700_000_000.0) -> CapturedRequest:
    tag = decode_request(url)
    tag.time = at
    return CapturedRequest("GET", url, None, None, "image", None, None, at, tag)


def event_url(event: str, tid: str = TAG_ID, extra: str = "") -> str:
    return f"https://ct.pinterest.com/v3/?tid={tid}&event={event}&cb=1{extra}"


def parse(*arguments: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    watch_command.add_parser(parser.add_subparsers(dest="command"))
    return parser.parse_args(["watch", *arguments])


# ---- verdicts from the settings alone ---------------------------------------------


@pytest.mark.parametrize(
    "event, tid, status, reason",
    [
        ("init", TAG_ID, "pass", "init: the page load event"),
        ("Checkout", TAG_ID, "pass", "'Order Completed' (built-in)"),
        ("Signup", TAG_ID, "pass", "'Signed Up' (mapping)"),
        ("PageVisit", TAG_ID, "pass", "page()"),
        ("Lead", TAG_ID, "unexpected", "no Segment event maps to it"),
        ("Wishlist Viewed", TAG_ID, "unchecked", "partner-defined"),
        ("Checkout", "999", "fail", "tid '999', but the settings' tag id is"),
        (None, TAG_ID, "fail", "no event name"),
    ],
)
def test_mapping_verdict(event: str | None, tid: str, status: str, reason: str) -> None:
    verdict = mapping_verdict(SETTINGS, event, tid)
    assert verdict.status == status
    assert reason in verdict.reason


# ---- the streaming loop ------------------------------------------------------------


def test_stream_prints_event_line() -> None:
    events: queue.Queue[Any] = queue.Queue()
    events.put(captured(CHECKOUT_URL))
    output = io.StringIO()
    watcher = Watcher(output, SETTINGS)
    stopped = stream_events(events, watcher, max_events=1)
    line = output.getvalue().splitlines()[0]
    assert stopped == STOP_MAX_EVENTS
    assert re.match(r"\d\d:\d\d:\d\d\.\d{3}  Checkout  tid=2613579246801  no em  order_id=RL-5001 value=249 currency=USD  PASS$", line)


def test_stream_stops_at_max_events() -> None:
    events: queue.Queue[Any] = queue.Queue()
    for name in ("init", "PageVisit", "Checkout", "Lead"):
        events.put(captured(event_url(name)))
    watcher = Watcher(io.StringIO(), SETTINGS)
    stream_events(events, watcher, max_events=2)
    assert watcher.printed == 2
    assert watcher.held_count == 2


def test_stream_stops_after_duration() -> None:
    watcher = Watcher(io.StringIO(), SETTINGS)
    assert stream_events(queue.Queue(), watcher, duration=0.2, tick=0.05) == STOP_DURATION


def test_stream_stops_on_event() -> None:
    stop = threading.Event()
    stop.set()
    assert stream_events(queue.Queue(), Watcher(io.StringIO()), stop=stop) == STOP_EVENT


def test_stream_interrupt_propagates() -> None:
    def interrupt(seconds: float) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        stream_events(queue.Queue(), Watcher(io.StringIO()), pump=interrupt)


def test_event_without_settings_has_no_verdict() -> None:
    output = io.StringIO()
    watcher = Watcher(output)
    watcher.add(captured(CHECKOUT_URL))
    watcher.flush()
    assert output.getvalue().rstrip().endswith("currency=USD")


def test_em_shown_as_hash() -> None:
    output = io.StringIO()
    watcher = Watcher(output, SETTINGS)
    watcher.add(captured(event_url("init", extra="&pd=%7B%22em%22%3A%22" + PLACEHOLDER_EM + "%22%7D")))
    watcher.flush()
    assert "em present 24aba99b…" in output.getvalue()


def test_lint_printed_under_event() -> None:
    output = io.StringIO()
    watcher = Watcher(output, SETTINGS)
    watcher.add(captured(event_url("init", extra="&pd=%7B%22em%22%3A%22" + PLACEHOLDER_EM + "%22%7D")))
    watcher.flush()
    assert output.getvalue().splitlines()[1].startswith("    lint error: em-placeholder: em 24aba99b")


def test_failing_event_held_for_grace() -> None:
    clock = FakeClock()
    output = io.StringIO()
    watcher = Watcher(output, SETTINGS, grace=1.0, clock=clock)
    watcher.add(captured(event_url("Lead")))
    printed_early = watcher.flush()
    clock.now += 1.5
    printed_late = watcher.flush()
    assert printed_early == 0
    assert printed_late == 1
    assert "UNEXPECTED: Lead: no Segment event maps to it" in output.getvalue()


def test_summary_counts_and_failures() -> None:
    output = io.StringIO()
    watcher = Watcher(output, SETTINGS, grace=0.0)
    for url in (event_url("init"), CHECKOUT_URL, event_url("Checkout"), event_url("Lead")):
        watcher.add(captured(url))
    watcher.flush()
    watcher.write_summary()
    text = output.getvalue()
    assert "Summary: 4 events: Checkout 2 (0 with em), init 1 (0 with em), Lead 1 (0 with em); 0 /user/ requests." in text
    assert "Verdicts: 3 pass, 1 unexpected." in text
    assert re.search(r"FAILED Lead at \S+: Lead: no Segment event maps to it", text)
    assert "Lint: 1 finding." in text
    assert "warning: checkout-missing-fields: event \"Checkout\" has no value, currency or order_id" in text


def test_summary_lists_missing_event() -> None:
    # A Segment page whose track call never reached Pinterest: the summary names the missing Checkout.
    page = "http://shop.example/thanks.html"
    output = io.StringIO()
    watcher = Watcher(output, SETTINGS)
    watcher.add(PageLoad(page, 10.0, None, None))
    watcher.add(SegmentRequest(CapturedRequest("GET", "https://cdn.segment.com/v1/projects/k/settings", None, None, "fetch", page, page, 10.1)))
    api_call = CapturedRequest("POST", "https://api.segment.io/v1/t", None, None, "fetch", page, page, 10.2)
    watcher.add(SegmentCall("t", {"type": "track", "event": "Order Completed", "properties": {"order_id": "RL-5001"}}, api_call))
    watcher.write_summary()
    assert re.search(r"FAILED missing on http://shop\.example/thanks\.html: .*Checkout", output.getvalue())
    assert len(watcher.summary.missing) == 2  # the page load's init, and the Checkout


# ---- in Chromium, on the live-like shop --------------------------------------------


@pytest.fixture(scope="module")
def site() -> Iterator[SiteServer]:
    yield from site_server()


def browser_arguments(site: SiteServer, url: str, *extra: str) -> argparse.Namespace:
    return parse(url, "--headless", "--offline-scripts", "--map-host", f"{SITE_HOST}={site.address}", "--only-mapped-hosts", *extra)


@pytest.mark.browser
def test_browser_watch_thanks_page(harness_browser: HarnessBrowser, site: SiteServer) -> None:
    output = io.StringIO()
    args = browser_arguments(site, f"http://{SITE_HOST}/thanks.html?order=RL-5001", "--max-events", "3", "--profile", str(SITE_DIR / "live-like.yaml"))
    status = watch_command.run(args, output, io.StringIO(), harness_browser=harness_browser)
    lines = output.getvalue().splitlines()
    events = [line for line in lines if re.match(r"\d\d:\d\d:\d\d\.\d{3}  ", line)]
    assert status == 0
    assert "expected settings from the page's Segment CDN settings: tid '2613579246801'" in lines
    assert [line.split("  ")[1] for line in events] == ["init", "PageVisit", "Checkout"]
    assert all(line.endswith("PASS") for line in events)
    assert "order_id=RL-5001 value=249 currency=USD" in events[2]
    assert "Verdicts: 3 pass." in lines


@pytest.mark.browser
def test_browser_watch_base_code_lint(harness_browser: HarnessBrowser, site: SiteServer) -> None:
    output = io.StringIO()
    args = browser_arguments(site, f"http://{SITE_HOST}/stores.html", "--max-events", "1")
    status = watch_command.run(args, output, io.StringIO(), harness_browser=harness_browser)
    text = output.getvalue()
    assert status == 1
    assert "init  tid=2613579246801  em present 24aba99b…" in text
    assert "    lint error: em-placeholder: em 24aba99b" in text


@pytest.mark.browser
def test_browser_watch_duration(harness_browser: HarnessBrowser, site: SiteServer) -> None:
    output = io.StringIO()
    args = browser_arguments(site, f"http://{SITE_HOST}/about.html", "--duration", "1")
    status = watch_command.run(args, output, io.StringIO(), harness_browser=harness_browser)
    assert status == 0
    assert "Summary: no Pinterest event seen." in output.getvalue()


@pytest.mark.browser
def test_browser_watch_unreachable_url(harness_browser: HarnessBrowser) -> None:
    # A port that was free a moment ago: nothing listens there, so the connection is refused.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    output, errors = io.StringIO(), io.StringIO()
    status = watch_command.run(parse(f"http://127.0.0.1:{port}/", "--headless"), output, errors, harness_browser=harness_browser)
    assert status == 2
    assert f"pintrk-harness watch: cannot open http://127.0.0.1:{port}/: " in errors.getvalue()
    assert "ERR_CONNECTION_REFUSED" in errors.getvalue()
    assert "Summary" not in output.getvalue()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="only Linux needs DISPLAY for a visible browser")
def test_headed_watch_needs_display(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    errors = io.StringIO()
    assert watch_command.run(parse("http://127.0.0.1:9/"), io.StringIO(), errors) == 2
    assert "no display to open a visible browser in" in errors.getvalue()
    assert "add --headless, or run under xvfb-run" in errors.getvalue()


def test_watch_needs_url_or_proxy() -> None:
    errors = io.StringIO()
    assert watch_command.run(parse(), io.StringIO(), errors) == 2
    assert "give the URL to open, or --proxy" in errors.getvalue()


# ---- through the proxy -------------------------------------------------------------


def fetch_through(proxy: CaptureProxy, url: str) -> None:
    import ssl

    opener = urllib.request.build_opener(
        urllib.request.ProxyHandler({"http": proxy.url, "https": proxy.url}),
        urllib.request.HTTPSHandler(context=ssl.create_default_context(cafile=str(proxy.ca_cert_path))),
    )
    with opener.open(url, timeout=10) as response:
        response.read()


@pytest.fixture
def no_proxy_bypass(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("no_proxy", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.proxy
def test_proxy_events_streamed(no_proxy_bypass: None, tmp_path: Path) -> None:
    events: queue.Queue[Any] = queue.Queue()
    output = io.StringIO()
    watcher = Watcher(output, SETTINGS)
    with CaptureProxy(tmp_path / "mitmproxy", offline=True, on_request=lambda item: events.put(proxied_request(item))) as proxy:
        fetch_through(proxy, event_url("init"))
        fetch_through(proxy, CHECKOUT_URL)
        stream_events(events, watcher, max_events=2)
    lines = output.getvalue().splitlines()
    assert lines[0].split("  ")[1:] == ["init", f"tid={TAG_ID}", "no em", "PASS"]
    assert lines[1].endswith("value=249 currency=USD  PASS")


class WatchProcess:
    """The watch command in a child process, its output read line by line on a thread."""

    def __init__(self, *arguments: str) -> None:
        command = [sys.executable, "-c", WATCH_MAIN, "watch", *arguments]
        self.process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            # A shell's background job starts with SIGINT ignored, and a child would inherit that.
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL), env={**os.environ, "COLUMNS": "200"},
        )  # fmt: skip
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def wait_for(self, pattern: str) -> re.Match[str]:
        """Return the match of the first new line matching `pattern`; fail when the output ends or stalls for 30 s."""
        while True:
            line = self.lines.get(timeout=30)
            assert line is not None, "output ended early:\n" + "".join(self.seen)
            self.seen.append(line)
            match = re.search(pattern, line)
            if match:
                return match

    def interrupt(self) -> tuple[int, str]:
        """Send SIGINT as Ctrl-C does; return the exit status and the whole output."""
        self.process.send_signal(signal.SIGINT)
        status = self.process.wait(timeout=30)
        while (line := self.lines.get(timeout=30)) is not None:
            self.seen.append(line)
        return status, "".join(self.seen)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


@pytest.mark.proxy
def test_proxy_watch_interrupted(no_proxy_bypass: None, tmp_path: Path) -> None:
    confdir = tmp_path / "mitmproxy"
    watching = WatchProcess("--proxy", "--port", "0", "--confdir", str(confdir), "--profile", str(SITE_DIR / "base-code.yaml"))
    try:
        port = watching.wait_for(r"Proxy listening on http://127\.0\.0\.1:(\d+)")[1]
        watching.wait_for("Press Ctrl-C")
        proxy = argparse.Namespace(url=f"http://127.0.0.1:{port}", ca_cert_path=confdir / "mitmproxy-ca-cert.pem")
        fetch_through(proxy, event_url("init", extra="&pd=%7B%22em%22%3A%22" + PLACEHOLDER_EM + "%22%7D"))
        event_line = watching.wait_for(r"  init  tid=")
        status, text = watching.interrupt()
    finally:
        watching.kill()
    assert status == 1
    assert event_line.string.rstrip().endswith("PASS")
    assert "Summary: 1 event: init 1 (1 with em); 0 /user/ requests." in text
    assert "error: em-placeholder" in text


@pytest.mark.browser
def test_browser_watch_interrupted(site: SiteServer) -> None:
    url = f"http://{SITE_HOST}/thanks.html?order=RL-5001"
    watching = WatchProcess(url, "--headless", "--offline-scripts", "--map-host", f"{SITE_HOST}={site.address}", "--only-mapped-hosts", "--profile", str(SITE_DIR / "live-like.yaml"))
    try:
        watching.wait_for(r"  Checkout  tid=")
        status, text = watching.interrupt()
    finally:
        watching.kill()
    assert status == 0
    assert "Summary: 3 events: init 1 (0 with em), PageVisit 1 (0 with em), Checkout 1 (0 with em); 1 /user/ request." in text
    assert "Verdicts: 3 pass." in text


@pytest.mark.parametrize(
    "arguments, message",
    [
        (("http://[::1", "--headless"), "URL 'http://[::1': invalid URL"),
        (("http:///x", "--headless"), "URL 'http:///x': no host name"),
        (("ftp://x/", "--headless"), "URL 'ftp://x/' is not an http(s) URL"),
        (("--proxy", "--listen-host", ""), "--listen-host is empty"),
    ],
)
def test_watch_rejects_bad_address(arguments: tuple[str, ...], message: str) -> None:
    errors = io.StringIO()
    assert watch_command.run(parse(*arguments), io.StringIO(), errors) == 2
    assert message in errors.getvalue()


def test_proxy_watch_confdir_is_file(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory", encoding="utf-8")
    errors = io.StringIO()
    assert watch_command.run(parse("--proxy", "--port", "0", "--confdir", str(blocker)), io.StringIO(), errors) == 2
    assert f"cannot create --confdir {blocker}" in errors.getvalue()


def test_proxy_rejects_browser_options() -> None:
    errors = io.StringIO()
    assert watch_command.run(parse("--proxy", "--offline-scripts"), io.StringIO(), errors) == 2
    assert "which --proxy does not start" in errors.getvalue()
