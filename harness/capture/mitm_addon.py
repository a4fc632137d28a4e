"""mitmproxy addon: decode the Pinterest tag's requests and respond to them locally.

Every request to a tag host (option `pintrk_hosts`, by default
ct.pinterest.com, matched ignoring case and port) is decoded into a
TagRequest, from any client, and logged as one summary line. By default the
addon responds to these hosts itself, so nothing reaches Pinterest: `/v3/` gets a
1x1 GIF, `/user/` gets `{}` as JSON with CORS headers that allow credentials
for the request's Origin (the tag sends its `/v3/` events only after `/user/`
returns valid JSON), CORS preflights get 204, and any other path gets 204.
With `pintrk_passthrough` the requests go on to the real host instead.
s.pinimg.com serves the tag script: it is not decoded and goes upstream like
any other host (unless `pintrk_offline` is set), so a live site loads the
real tag.

Run it on its own (the `harness` package must be importable, for example after
`pip install -e .`):

    mitmdump -s harness/capture/mitm_addon.py --set flow_detail=0 \
        --set connection_strategy=lazy --set pintrk_jsonl=events.jsonl

HTTPS needs `--set connection_strategy=lazy` (the harness always sets it).
mitmproxy's default, eager, connects to the server during CONNECT and the TLS
handshake, before any request exists, so an HTTPS request the addon responds to still
costs a DNS lookup and a connection attempt to Pinterest (mitmproxy 11.0.2
goes on with the client when that attempt fails). With lazy, mitmproxy
connects only when a request goes upstream, which a request the addon
responds to never does. The addon logs a warning when it runs with eager.
"""

from __future__ import annotations

import ipaddress
import json
import logging
from collections import Counter
from collections.abc import Callable, Sequence
from typing import IO

from mitmproxy import ctx, exceptions, http

from harness.capture.records import mask_emails, summary_line, to_record
from harness.wire import TAG_HOST, TagRequest, decode_request, is_pinterest_host

logger = logging.getLogger(__name__)

DEFAULT_HOSTS = (TAG_HOST,)

# A 1x1 transparent GIF: header, logical screen with a 2-colour table,
# graphic control extension (transparent index 0), one image, trailer.
TRANSPARENT_GIF = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00"
    b"\x00\x00\x00\xff\xff\xff"
    b"!\xf9\x04\x01\x00\x00\x00\x00"
    b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00"
    b";"
)

# After this many errors of one kind, further ones are counted but not logged.
_MAX_LOGGED_ERRORS = 10

RequestCallback = Callable[[TagRequest, str], None]


def parse_hosts(values: Sequence[str]) -> frozenset[str]:
    """Check and normalise the `pintrk_hosts` option; raise ValueError naming a bad value."""
    hosts = set()
    for value in values:
        host = value.strip().lower().rstrip(".")
        if not host or any(character in host for character in "/:@ "):
            raise ValueError(
                f"pintrk_hosts: {value!r} is not a host name; give a bare name such as ct.pinterest.com "
                "(no scheme, port or path)"
            )
        hosts.add(host)
    return frozenset(hosts)


def is_loopback(host: str) -> bool:
    """Tell whether a host name or address is this machine's loopback (localhost, 127.0.0.0/8, ::1)."""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def format_client(flow: http.HTTPFlow) -> str:
    """Write the client's address as host:port, or `unknown` for a flow without one."""
    address = flow.client_conn.peername
    if not address:
        return "unknown"
    host, port = address[0], address[1]
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


class PintrkCapture:
    """The addon. `on_request`, when given, receives each decoded request and the client address."""

    def __init__(self, on_request: RequestCallback | None = None) -> None:
        self.on_request = on_request
        self.hosts = frozenset(DEFAULT_HOSTS)
        self.error_counts: Counter[str] = Counter()
        self._jsonl: IO[str] | None = None

    def load(self, loader) -> None:
        loader.add_option(
            "pintrk_hosts",
            Sequence[str],
            list(DEFAULT_HOSTS),
            """
            Hosts whose requests are decoded as Pinterest tag requests and, unless
            pintrk_passthrough is set, responded to locally. Matched ignoring case and
            port. A host that is not Pinterest's (a local test server) is decoded
            as if the request had gone to ct.pinterest.com.
            """,
        )
        loader.add_option(
            "pintrk_passthrough",
            bool,
            False,
            "Send requests to the pintrk_hosts on to the real server instead of responding locally.",
        )
        loader.add_option(
            "pintrk_jsonl",
            str,
            "",
            """
            Append each decoded request to this file as one JSON object per line:
            time (seconds since the epoch), client (address:port), then the
            fields of `pintrk-harness decode --json`. Empty: no file.
            """,
        )
        loader.add_option(
            "pintrk_plain_emails",
            bool,
            False,
            "Store email addresses in pintrk_jsonl as sent. By default they are replaced by their SHA-256.",
        )
        loader.add_option(
            "pintrk_offline",
            bool,
            False,
            """
            Forward nothing beyond this machine: requests to hosts that are neither
            responded to locally nor loopback (localhost, 127.0.0.0/8, ::1) get a
            502 response without any connection or DNS lookup.
            """,
        )

    def configure(self, updated: set[str]) -> None:
        if "pintrk_hosts" in updated:
            try:
                self.hosts = parse_hosts(ctx.options.pintrk_hosts)
            except ValueError as error:
                raise exceptions.OptionsError(str(error)) from error
        if "pintrk_jsonl" in updated:
            self._close_jsonl()
            if ctx.options.pintrk_jsonl:
                try:
                    self._jsonl = open(ctx.options.pintrk_jsonl, "a", encoding="utf-8", errors="backslashreplace")
                except OSError as error:
                    raise exceptions.OptionsError(
                        f"pintrk_jsonl: cannot open {ctx.options.pintrk_jsonl!r} for appending ({error}); "
                        "give a writable file path"
                    ) from error

    def done(self) -> None:
        self._close_jsonl()

    def running(self) -> None:
        # This line shows a user (and the tests) that the addon loaded. If its
        # options fail to apply, mitmproxy runs without it and forwards everything.
        hosts = ", ".join(sorted(self.hosts))
        if ctx.options.pintrk_passthrough:
            message = f"pintrk capture: passing requests to {hosts} through"
        else:
            message = f"pintrk capture: responding to requests for {hosts} locally"
        if ctx.options.pintrk_jsonl:
            message += f"; writing them to {ctx.options.pintrk_jsonl}"
        logger.info(message)

        if ctx.options.connection_strategy == "eager" and not ctx.options.pintrk_passthrough:
            logger.warning(
                f"connection_strategy is eager, so mitmproxy connects to {hosts} for HTTPS before this addon "
                "can respond; set connection_strategy=lazy to respond to HTTPS requests locally without DNS"
            )

    def http_connect(self, flow: http.HTTPFlow) -> None:
        # With pintrk_offline, refuse the tunnel itself, so no protocol inside it can go upstream.
        host = flow.request.host.lower().rstrip(".")
        if host not in self.hosts and self._blocks(host):
            flow.response = self._blocked_response(host)

    def request(self, flow: http.HTTPFlow) -> None:
        host = flow.request.host.lower().rstrip(".")
        if host not in self.hosts:
            if flow.live and not flow.response and self._blocks(host):
                flow.response = self._blocked_response(host)
            return

        preflight = flow.request.method == "OPTIONS" and "access-control-request-method" in flow.request.headers
        # Respond before decoding, so that a decoding failure never lets a
        # request through to Pinterest.
        if flow.live and not flow.response:
            if self._responds_locally(host):
                flow.response = self._local_response(flow.request, preflight)
            elif self._blocks(host):
                flow.response = self._blocked_response(host)
        if preflight:
            return
        try:
            self._record(flow, host)
        except Exception as error:  # a bug with one flow's data must not stop the proxy or skip later flows
            self._log_error("record", f"could not decode or record {mask_emails(flow.request.url)[:160]}: {error!r}")

    def _responds_locally(self, host: str) -> bool:
        return host in self.hosts and not ctx.options.pintrk_passthrough

    def _blocks(self, host: str) -> bool:
        return ctx.options.pintrk_offline and not is_loopback(host) and host != ctx.options.onboarding_host

    def _blocked_response(self, host: str) -> http.Response:
        return http.Response.make(
            502,
            f"pintrk_offline is set: requests to {host} are not forwarded.\n",
            {"Content-Type": "text/plain; charset=utf-8"},
        )

    def _local_response(self, request: http.Request, preflight: bool) -> http.Response:
        headers = {"Cache-Control": "no-store"}
        origin = request.headers.get("origin")
        if origin:
            headers["Access-Control-Allow-Origin"] = origin
            headers["Access-Control-Allow-Credentials"] = "true"
            headers["Vary"] = "Origin"
        if preflight:
            headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
            headers["Access-Control-Max-Age"] = "600"
            if requested := request.headers.get("access-control-request-headers"):
                headers["Access-Control-Allow-Headers"] = requested
            if "access-control-request-private-network" in request.headers:
                headers["Access-Control-Allow-Private-Network"] = "true"
            return http.Response.make(204, b"", headers)

        path = request.path.partition("?")[0]
        if path in ("/v3", "/v3/"):
            headers["Content-Type"] = "image/gif"
            return http.Response.make(200, TRANSPARENT_GIF, headers)
        if path in ("/user", "/user/"):
            headers["Content-Type"] = "application/json"
            return http.Response.make(200, b"{}", headers)
        return http.Response.make(204, b"", headers)

    def _record(self, flow: http.HTTPFlow, host: str) -> None:
        request = self._decode(flow, host)
        client = format_client(flow)
        logger.info(summary_line(request, client))

        if self._jsonl is not None:
            record = to_record(request, client, plain_emails=ctx.options.pintrk_plain_emails)
            try:
                self._jsonl.write(json.dumps(record, ensure_ascii=False) + "\n")
                self._jsonl.flush()
            except (OSError, TypeError, ValueError) as error:
                self._log_error("jsonl", f"could not write to {ctx.options.pintrk_jsonl!r}: {error}")

        if self.on_request is not None:
            try:
                self.on_request(request, client)
            except Exception as error:  # the callback is the caller's code; the proxy must keep running
                self._log_error("callback", f"the on_request callback raised {error!r} for {mask_emails(request.url)[:160]}")

    def _decode(self, flow: http.HTTPFlow, host: str) -> TagRequest:
        url = flow.request.url
        decode_url = url
        if not is_pinterest_host(host):
            # A test server listed in pintrk_hosts: decode as if sent to the tag host.
            decode_url = f"https://{TAG_HOST}{flow.request.path}"
        request = decode_request(
            decode_url,
            flow.request.method,
            flow.request.get_content(strict=False),
            flow.request.headers.get("content-type"),
        )
        request.url = url
        request.time = flow.request.timestamp_start
        return request

    def _log_error(self, kind: str, message: str) -> None:
        self.error_counts[kind] += 1
        count = self.error_counts[kind]
        if count < _MAX_LOGGED_ERRORS:
            logger.warning(message)
        elif count == _MAX_LOGGED_ERRORS:
            logger.warning(f"{message} (error {count} of this kind; further ones are counted, not logged)")

    def _close_jsonl(self) -> None:
        if self._jsonl is not None:
            self._jsonl.close()
            self._jsonl = None


addons = [PintrkCapture()]
