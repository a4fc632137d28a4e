"""The mitmproxy capture: a real proxy on 127.0.0.1, real HTTP and HTTPS clients, no DNS, no internet."""

from __future__ import annotations

import http.server
import io
import json
import os
import queue
import re
import signal
import socket
import ssl
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from pathlib import Path
from typing import Iterator
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Error as PlaywrightError
from harness.capture import mitm_addon
from harness.capture.proxy import CaptureProxy, ProxyStartError
from harness.capture.records import email_digest
from harness.chromium import find_chromium, launch_args
from harness.cli import build_parser
from harness.wire import decode_request
from shared_vectors import wire_captures

pytestmark = pytest.mark.proxy

TAG_ID = "2612345678901"
CHECKOUT_QUERY = (
    f"tid={TAG_ID}&event=checkout"
    "&ed=%7B%22value%22%3A116%2C%22currency%22%3A%22USD%22%2C%22order_quantity%22%3A2%7D"
    "&pd=%7B%22np%22%3A%22segment%22%2C%22em%22%3A%22f660ab912ec121d1b1e928a0bb4bc61b15f5ad44d5efdc4e1c92a25e99b8e44a%22%7D"
    "&cb=1583868246432"
)
PLAIN_EMAIL = "Shopper@Example.com"
PLAIN_EMAIL_QUERY = f"tid={TAG_ID}&event=lead&pd=%7B%22em%22%3A%22Shopper%40Example.com%22%7D"
UPSTREAM_BODY = b"response from the local upstream server"
VECTORS = [capture for capture in wire_captures() if urlsplit(capture[2]).hostname == "ct.pinterest.com"]
STARTUP_TIMEOUT = 30


# Fixtures and helpers


@pytest.fixture(autouse=True)
def no_proxy_bypass(monkeypatch: pytest.MonkeyPatch) -> None:
    # urllib skips a ProxyHandler for hosts in no_proxy and would then resolve them itself.
    for name in ("no_proxy", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def proxy(tmp_path: Path) -> Iterator[CaptureProxy]:
    """An offline proxy (nothing but loopback is forwarded) that writes tmp_path/events.jsonl."""
    with CaptureProxy(tmp_path / "mitmproxy", offline=True, jsonl=tmp_path / "events.jsonl") as started:
        yield started


def make_opener(proxy_url: str, cafile: Path) -> urllib.request.OpenerDirector:
    """A urllib opener that sends http and https through the proxy and trusts only its CA."""
    return urllib.request.build_opener(
        urllib.request.ProxyHandler({"http": proxy_url, "https": proxy_url}),
        urllib.request.HTTPSHandler(context=ssl.create_default_context(cafile=str(cafile))),
    )


def fetch(
    opener: urllib.request.OpenerDirector,
    url: str,
    method: str = "GET",
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], bytes]:
    """Send one request; return status, headers (lowercase names) and body, also for error statuses."""
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with opener.open(request, timeout=10) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()


class LocalServer:
    """An HTTP server on 127.0.0.1 that sends one body for every GET and records the requested paths."""

    def __init__(self, body: bytes, content_type: str) -> None:
        self.paths: list[str] = []
        paths = self.paths

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                paths.append(self.path)
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> LocalServer:
        self.thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.server.shutdown()
        self.server.server_close()


class LineReader:
    """Reads a subprocess's output on a thread, so a test can wait for a line with a timeout."""

    def __init__(self, stream) -> None:
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.seen: list[str] = []
        self.thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self.thread.start()

    def _read(self, stream) -> None:
        for line in stream:
            self.lines.put(line)
        self.lines.put(None)

    def wait_for(self, pattern: str, timeout: float = STARTUP_TIMEOUT) -> re.Match[str]:
        """Return the match of the first new line matching `pattern`; fail on timeout or end of output."""
        regex = re.compile(pattern)
        while True:
            try:
                line = self.lines.get(timeout=timeout)
            except queue.Empty:
                pytest.fail(f"no output line matched {pattern!r} within {timeout} s; output so far:\n{''.join(self.seen)}")
            if line is None:
                pytest.fail(f"output ended before a line matched {pattern!r}; output:\n{''.join(self.seen)}")
            self.seen.append(line)
            match = regex.search(line)
            if match:
                return match

    def rest(self, timeout: float = STARTUP_TIMEOUT) -> str:
        """Return the remaining output, once the stream ends."""
        self.thread.join(timeout)
        assert not self.thread.is_alive(), "the subprocess's output did not end"
        while (line := self.lines.get_nowait()) is not None:
            self.seen.append(line)
        return "".join(self.seen)


@pytest.fixture
def sigint_not_ignored() -> Iterator[None]:
    # A shell's background job starts with SIGINT ignored, and a child process
    # inherits an ignored signal. A handled one resets to the default on exec.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


# Local responses over HTTP and HTTPS


def test_http_v3_gets_gif(proxy: CaptureProxy) -> None:
    opener = make_opener(proxy.url, proxy.ca_cert_path)
    status, headers, body = fetch(opener, f"http://ct.pinterest.com/v3/?{CHECKOUT_QUERY}")
    assert status == 200
    assert headers["content-type"] == "image/gif"
    assert body == mitm_addon.TRANSPARENT_GIF


def test_https_v3_decoded(proxy: CaptureProxy) -> None:
    url = f"https://ct.pinterest.com/v3/?{CHECKOUT_QUERY}"
    status, _, _ = fetch(make_opener(proxy.url, proxy.ca_cert_path), url)
    captured = proxy.wait_for(lambda request: request.event == "checkout")
    assert status == 200
    assert captured.request.to_json() == decode_request(url).to_json()
    assert captured.client.startswith("127.0.0.1:")
    assert captured.request.time is not None


@pytest.mark.parametrize("description, method, url, body", VECTORS, ids=[capture[0][:50] for capture in VECTORS])
def test_vector_decoded_through_proxy(proxy: CaptureProxy, description: str, method: str, url: str, body: str | None) -> None:
    content_type = "application/x-www-form-urlencoded" if body else None
    headers = {"Content-Type": content_type} if content_type else {}
    fetch(make_opener(proxy.url, proxy.ca_cert_path), url, method, body.encode() if body else None, headers)
    captured = proxy.wait_for(lambda request: request.url == url)
    assert captured.request.to_json() == decode_request(url, method, body, content_type).to_json()


def test_host_matched_ignoring_case(proxy: CaptureProxy) -> None:
    status, headers, _ = fetch(make_opener(proxy.url, proxy.ca_cert_path), f"https://CT.Pinterest.COM/v3/?{CHECKOUT_QUERY}")
    captured = proxy.wait_for(lambda request: request.event == "checkout")
    assert status == 200
    assert headers["content-type"] == "image/gif"
    assert captured.request.endpoint == "v3"


def test_form_post_decoded(proxy: CaptureProxy) -> None:
    opener = make_opener(proxy.url, proxy.ca_cert_path)
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    status, _, _ = fetch(opener, "https://ct.pinterest.com/v3/", "POST", CHECKOUT_QUERY.encode(), headers)
    captured = proxy.wait_for(lambda request: request.event == "checkout")
    expected = decode_request(f"https://ct.pinterest.com/v3/?{CHECKOUT_QUERY}")
    assert status == 200
    assert captured.request.transport == "form"
    assert captured.request.ed == expected.ed
    assert captured.request.pd == expected.pd


def test_user_gets_cors_json(proxy: CaptureProxy) -> None:
    origin = "https://shop.example"
    url = f"https://ct.pinterest.com/user/?tid={TAG_ID}&event=init&dep=2%2CPAGE_LOAD"
    status, headers, body = fetch(make_opener(proxy.url, proxy.ca_cert_path), url, headers={"Origin": origin})
    captured = proxy.wait_for(lambda request: request.endpoint == "user")
    assert status == 200
    assert headers["content-type"] == "application/json"
    assert json.loads(body) == {}
    assert headers["access-control-allow-origin"] == origin
    assert headers["access-control-allow-credentials"] == "true"
    assert captured.request.params["dep"] == "2,PAGE_LOAD"


def test_preflight_not_recorded(proxy: CaptureProxy) -> None:
    opener = make_opener(proxy.url, proxy.ca_cert_path)
    origin = "https://shop.example"
    preflight_headers = {
        "Origin": origin,
        "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "content-type",
    }
    status, headers, _ = fetch(opener, f"https://ct.pinterest.com/user/?tid={TAG_ID}", "OPTIONS", headers=preflight_headers)
    # The addon records a request before it responds, so a later response
    # means every earlier request has been recorded or skipped.
    fetch(opener, f"https://ct.pinterest.com/v3/?{CHECKOUT_QUERY}")
    assert status == 204
    assert headers["access-control-allow-origin"] == origin
    assert headers["access-control-allow-headers"] == "content-type"
    assert [item.request.method for item in proxy.captured()] == ["GET"]


def test_other_path_recorded_as_other(proxy: CaptureProxy) -> None:
    status, _, body = fetch(make_opener(proxy.url, proxy.ca_cert_path), "https://ct.pinterest.com/ct.html")
    assert status == 204
    assert body == b""
    assert [item.request.endpoint for item in proxy.captured()] == ["other"]


def test_tag_script_host_not_decoded(proxy: CaptureProxy) -> None:
    status, _, _ = fetch(make_opener(proxy.url, proxy.ca_cert_path), "http://s.pinimg.com/ct/core.js")
    assert status == 502  # blocked by the offline option, and not decoded as an event
    assert proxy.captured() == []


def test_offline_blocks_other_hosts(proxy: CaptureProxy) -> None:
    opener = make_opener(proxy.url, proxy.ca_cert_path)
    http_status, _, body = fetch(opener, "http://shop.invalid/")
    with pytest.raises(urllib.error.URLError, match="Tunnel connection failed: 502"):
        fetch(opener, "https://shop.invalid/")
    assert http_status == 502
    assert b"pintrk_offline" in body


# Passthrough, against a local server listed as a tag host


def test_passthrough_reaches_upstream(tmp_path: Path) -> None:
    with LocalServer(UPSTREAM_BODY, "text/plain") as upstream, CaptureProxy(tmp_path / "mitmproxy", hosts=["127.0.0.1"], passthrough=True, offline=True) as proxy:
        url = f"http://127.0.0.1:{upstream.port}/v3/?{CHECKOUT_QUERY}"
        status, _, body = fetch(make_opener(proxy.url, proxy.ca_cert_path), url)
        captured = proxy.wait_for(lambda request: request.event == "checkout")
    assert status == 200
    assert body == UPSTREAM_BODY
    assert upstream.paths == [f"/v3/?{CHECKOUT_QUERY}"]
    assert captured.request.url == url
    assert captured.request.ed == decode_request(f"https://ct.pinterest.com/v3/?{CHECKOUT_QUERY}").ed


def test_local_response_skips_upstream(tmp_path: Path) -> None:
    with LocalServer(UPSTREAM_BODY, "text/plain") as upstream, CaptureProxy(tmp_path / "mitmproxy", hosts=["127.0.0.1"], offline=True) as proxy:
        url = f"http://127.0.0.1:{upstream.port}/v3/?{CHECKOUT_QUERY}"
        status, _, body = fetch(make_opener(proxy.url, proxy.ca_cert_path), url)
        captured = proxy.wait_for(lambda request: request.event == "checkout")
    assert status == 200
    assert body == mitm_addon.TRANSPARENT_GIF
    assert upstream.paths == []
    assert captured.request.endpoint == "v3"


# The JSON-lines file


def test_jsonl_one_line_per_request(proxy: CaptureProxy, tmp_path: Path) -> None:
    opener = make_opener(proxy.url, proxy.ca_cert_path)
    fetch(opener, f"https://ct.pinterest.com/v3/?{CHECKOUT_QUERY}")
    fetch(opener, f"http://ct.pinterest.com/user/?tid={TAG_ID}&event=init")
    proxy.stop()
    records = [json.loads(line) for line in (tmp_path / "events.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [record["event"] for record in records] == ["checkout", "init"]
    assert [record["endpoint"] for record in records] == ["v3", "user"]
    assert all(record["client"].startswith("127.0.0.1:") for record in records)
    assert all(isinstance(record["time"], float) for record in records)
    assert records[0]["pd"] == decode_request(f"https://ct.pinterest.com/v3/?{CHECKOUT_QUERY}").pd


def test_jsonl_masks_plain_email(proxy: CaptureProxy, tmp_path: Path) -> None:
    fetch(make_opener(proxy.url, proxy.ca_cert_path), f"https://ct.pinterest.com/v3/?{PLAIN_EMAIL_QUERY}")
    proxy.stop()
    text = (tmp_path / "events.jsonl").read_text(encoding="utf-8")
    record = json.loads(text)
    assert "@" not in text
    assert "%40" not in text
    assert record["pd"]["em"] == f"<email sha256:{email_digest(PLAIN_EMAIL)}>"


def test_jsonl_plain_emails_option(tmp_path: Path) -> None:
    jsonl = tmp_path / "events.jsonl"
    with CaptureProxy(tmp_path / "mitmproxy", offline=True, jsonl=jsonl, plain_emails=True) as proxy:
        fetch(make_opener(proxy.url, proxy.ca_cert_path), f"https://ct.pinterest.com/v3/?{PLAIN_EMAIL_QUERY}")
    assert json.loads(jsonl.read_text(encoding="utf-8"))["pd"]["em"] == PLAIN_EMAIL


# Startup errors


def test_invalid_host_option_rejected(tmp_path: Path) -> None:
    with pytest.raises(ProxyStartError, match=r"pintrk_hosts: 'https://ct\.pinterest\.com/'"):
        CaptureProxy(tmp_path / "mitmproxy", hosts=["https://ct.pinterest.com/"]).start()


def test_unwritable_jsonl_rejected(tmp_path: Path) -> None:
    with pytest.raises(ProxyStartError, match="pintrk_jsonl: cannot open"):
        CaptureProxy(tmp_path / "mitmproxy", jsonl=tmp_path / "missing" / "events.jsonl").start()


def test_port_in_use_rejected(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(ProxyStartError, match="address already in use"):
            CaptureProxy(tmp_path / "mitmproxy", port=port).start()


def test_second_proxy_rejected(proxy: CaptureProxy, tmp_path: Path) -> None:
    with pytest.raises(ProxyStartError, match="another CaptureProxy is running"):
        CaptureProxy(tmp_path / "second").start()


def test_proxy_restarts_after_stop(tmp_path: Path) -> None:
    for run in ("first", "second"):
        with CaptureProxy(tmp_path / run, offline=True) as proxy:
            status, _, _ = fetch(make_opener(proxy.url, proxy.ca_cert_path), f"https://ct.pinterest.com/v3/?{CHECKOUT_QUERY}")
        assert status == 200


# The addon loaded by mitmdump, and the CLI


def test_mitmdump_loads_addon(tmp_path: Path) -> None:
    jsonl = tmp_path / "events.jsonl"
    command = [
        "mitmdump", "-s", mitm_addon.__file__,
        "--listen-host", "127.0.0.1", "--listen-port", "0",
        "--set", f"confdir={tmp_path / 'mitmproxy'}",
        "--set", "connection_strategy=lazy",
        "--set", "pintrk_offline=true",
        "--set", f"pintrk_jsonl={jsonl}",
        "--set", "flow_detail=0",
    ]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        output = LineReader(process.stdout)
        port = output.wait_for(r"proxy listening at 127\.0\.0\.1:(\d+)")[1]
        # Without the addon, mitmdump would forward requests upstream, so send none before it reports in.
        output.wait_for("pintrk capture: responding to requests for ct.pinterest.com locally")
        opener = make_opener(f"http://127.0.0.1:{port}", tmp_path / "mitmproxy" / "mitmproxy-ca-cert.pem")
        status, _, _ = fetch(opener, f"https://ct.pinterest.com/v3/?{CHECKOUT_QUERY}")
        summary = output.wait_for(r"v3 checkout tid=(\d+) em present ([0-9a-f]{8})")
    finally:
        process.terminate()
        process.wait(timeout=STARTUP_TIMEOUT)
    assert status == 200
    assert summary[1] == TAG_ID
    assert summary[2] == "f660ab91"
    assert json.loads(jsonl.read_text(encoding="utf-8"))["event"] == "checkout"


def test_cli_stops_on_sigint_when_ignored(tmp_path: Path) -> None:
    # As a shell starts a background job: SIGINT ignored from the start.
    command = [sys.executable, "-m", "harness.cli", "proxy", "--port", "0", "--confdir", str(tmp_path / "mitmproxy")]
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
    )
    try:
        output = LineReader(process.stdout)
        output.wait_for("Press Ctrl-C")
        process.send_signal(signal.SIGINT)
        exit_status = process.wait(timeout=STARTUP_TIMEOUT)
        rest = output.rest()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert exit_status == 0
    assert "No Pinterest tag requests were captured." in rest


def test_cli_prints_events_and_summary(tmp_path: Path, sigint_not_ignored: None) -> None:
    command = [
        sys.executable, "-m", "harness.cli", "proxy", "--port", "0",
        "--confdir", str(tmp_path / "mitmproxy"), "--jsonl", str(tmp_path / "events.jsonl"),
    ]  # fmt: skip
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env={**os.environ, "COLUMNS": "200"}
    )
    try:
        output = LineReader(process.stdout)
        port = output.wait_for(r"Proxy listening on http://127\.0\.0\.1:(\d+)")[1]
        output.wait_for("Press Ctrl-C")
        opener = make_opener(f"http://127.0.0.1:{port}", tmp_path / "mitmproxy" / "mitmproxy-ca-cert.pem")
        fetch(opener, f"https://ct.pinterest.com/v3/?{CHECKOUT_QUERY}")
        fetch(opener, f"https://ct.pinterest.com/v3/?{PLAIN_EMAIL_QUERY}")
        event_line = output.wait_for(r"127\.0\.0\.1:\d+ checkout v3 tid=\d+ em present f660ab91").string
        output.wait_for(r" lead v3 ")
        process.send_signal(signal.SIGINT)
        exit_status = process.wait(timeout=STARTUP_TIMEOUT)
        rest = output.rest()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert exit_status == 0
    assert "value=116 currency=USD order_quantity=2" in event_line
    assert re.search(r"checkout\s+│\s+v3\s+│\s+1", rest)
    assert "1 x pd.em: a plain email address" in rest
    assert PLAIN_EMAIL.lower() not in rest.lower()


def run_command(*argv: str) -> tuple[int, str, str]:
    """Run `pintrk-harness proxy` in this process; return exit status, standard output and standard error."""
    args = build_parser().parse_args(["proxy", *argv])
    stdout, stderr = io.StringIO(), io.StringIO()
    return args.run(args, stdout=stdout, stderr=stderr), stdout.getvalue(), stderr.getvalue()


def test_cli_empty_listen_host(tmp_path: Path) -> None:
    status, _, errors = run_command("--listen-host", "", "--confdir", str(tmp_path / "mitmproxy"))
    assert status == 2
    assert "--listen-host is empty" in errors


def test_cli_unwritable_confdir(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory", encoding="utf-8")
    status, _, errors = run_command("--confdir", str(blocker / "mitmproxy"))
    assert status == 2
    assert f"cannot create --confdir {blocker / 'mitmproxy'}" in errors


def test_cli_port_in_use(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        status, _, errors = run_command("--port", str(taken.getsockname()[1]), "--confdir", str(tmp_path / "mitmproxy"))
    assert status == 2
    assert "address already in use" in errors
    assert errors.count("address already in use") == 1
    assert "choose another --port, or --port 0 for a free one" in errors
    assert "--mode" not in errors


# Chromium through the proxy


@pytest.fixture(scope="module")
def playwright_instance(harness_browser):
    # One sync Playwright per thread: share the session's, which conftest starts.
    return harness_browser.playwright


def launch_chromium(playwright, *extra_args: str):
    path = find_chromium(bundled=playwright.chromium.executable_path)
    return playwright.chromium.launch(executable_path=path, args=launch_args() + list(extra_args))


def test_chromium_spki_flag_trusts_proxy(playwright_instance, proxy: CaptureProxy) -> None:
    page_html = f"""<!doctype html><body><script>
      fetch("https://ct.pinterest.com/user/?tid={TAG_ID}&event=init&dep=2%2CPAGE_LOAD", {{credentials: "include"}})
        .then(response => response.json())
        .then(() => {{ new Image().src = "https://ct.pinterest.com/v3/?{CHECKOUT_QUERY}"; }});
    </script></body>"""
    with LocalServer(page_html.encode(), "text/html; charset=utf-8") as page_server:
        browser = launch_chromium(playwright_instance, *proxy.chromium_args())
        try:
            page = browser.new_page()
            # Chromium sends loopback hosts directly, so the page itself bypasses the proxy.
            page.goto(page_server.url)
            checkout = proxy.wait_for(lambda request: request.event == "checkout")
            user = proxy.wait_for(lambda request: request.endpoint == "user")
        finally:
            browser.close()
    assert checkout.request.ed == {"value": 116, "currency": "USD", "order_quantity": 2}
    assert checkout.request.tid == TAG_ID
    assert user.request.params["dep"] == "2,PAGE_LOAD"


def test_chromium_without_spki_flag_rejects(playwright_instance, proxy: CaptureProxy) -> None:
    browser = launch_chromium(playwright_instance, f"--proxy-server={proxy.url}")
    try:
        with pytest.raises(PlaywrightError, match="ERR_CERT_AUTHORITY_INVALID"):
            browser.new_page().goto(f"https://ct.pinterest.com/v3/?{CHECKOUT_QUERY}")
    finally:
        browser.close()


def test_chromium_playwright_proxy_option(playwright_instance, proxy: CaptureProxy) -> None:
    path = find_chromium(bundled=playwright_instance.chromium.executable_path)
    browser = playwright_instance.chromium.launch(executable_path=path, args=launch_args(), proxy={"server": proxy.url})
    try:
        context = browser.new_context(ignore_https_errors=True)
        response = context.new_page().goto(f"https://ct.pinterest.com/v3/?{CHECKOUT_QUERY}")
        captured = proxy.wait_for(lambda request: request.event == "checkout")
    finally:
        browser.close()
    assert response is not None
    assert response.headers["content-type"] == "image/gif"
    assert captured.request.pd == decode_request(f"https://ct.pinterest.com/v3/?{CHECKOUT_QUERY}").pd
