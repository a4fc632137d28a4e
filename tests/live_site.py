"""Local stand-ins for a live site and its vendors, on 127.0.0.1 under their real host names.

- SiteServer serves sites/live-like (the shop at shop.example) over HTTP,
  plus the fixture analytics.js's helper scripts under /segment/, which a
  real site would not have but the fixture analytics.js loads from the
  page's origin.
- VendorServer is one HTTPS server with a self-signed certificate for
  Segment's and Pinterest's hosts. It responds as they do (analytics.js,
  CDN settings, API, core.js, /user/, /v3/), records each request, and
  fails on request, through its VendorBehaviour. Chromium reaches it through --map-host and accepts
  its certificate through trusted_spki, so no request leaves the machine.
"""

from __future__ import annotations

import datetime
import http.server
import json
import ssl
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from harness.capture.proxy import spki_hash
from harness.check import CheckOptions
from harness.fixture_server import FIXTURES_DIR

REPOSITORY = Path(__file__).resolve().parents[1]
SITE_DIR = REPOSITORY / "sites" / "live-like"
SITE_HOST = "shop.example"
SETTINGS_DOCUMENT = json.loads((SITE_DIR / "settings.json").read_text(encoding="utf-8"))
TAG_ID = SETTINGS_DOCUMENT["integrations"]["Pinterest Tag"]["tid"]
VENDOR_HOSTS = ("cdn.segment.com", "api.segment.io", "s.pinimg.com", "ct.pinterest.com")

# A transparent 1x1 GIF, the response to /v3/.
PIXEL_GIF = bytes.fromhex("47494638396101000100800000000000ffffff21f90401000000002c00000000010001000002024401003b")


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


class SiteServer:
    """The live-like shop over HTTP on an ephemeral port of 127.0.0.1."""

    def __init__(self) -> None:
        class Handler(_QuietHandler):
            def translate_path(self, path: str) -> str:
                route = urlsplit(path).path
                if route.startswith("/segment/"):
                    return str(FIXTURES_DIR / route.lstrip("/"))
                return super().translate_path(path)

            def end_headers(self) -> None:
                self.send_header("Cache-Control", "no-store")
                super().end_headers()

        def handler(*args: Any, **kwargs: Any) -> Handler:
            return Handler(*args, directory=str(SITE_DIR), **kwargs)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self.address = f"127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "SiteServer":
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@dataclass
class VendorRequest:
    """One request the vendor stand-in received."""

    method: str
    host: str
    path: str
    body: bytes


@dataclass
class VendorBehaviour:
    """The responses of the vendor stand-in; tests change them to reproduce faults."""

    tag_script_status: int = 200
    tag_script_type: str = "text/html"  # the content type of a failing tag script response
    user_status: int = 200


@dataclass
class VendorServer:
    """Segment's and Pinterest's hosts, answered over HTTPS by one local server."""

    requests: list[VendorRequest] = field(default_factory=list)
    behaviour: VendorBehaviour = field(default_factory=VendorBehaviour)

    def __post_init__(self) -> None:
        self._folder = tempfile.TemporaryDirectory(prefix="vendor-tls-")
        cert_path, key_path = _self_signed_certificate(Path(self._folder.name), VENDOR_HOSTS)
        self.spki = spki_hash(cert_path)
        vendor = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                self._answer()

            def do_POST(self) -> None:
                self._answer()

            def do_OPTIONS(self) -> None:
                self._send(204, "text/plain", b"", {"Access-Control-Allow-Methods": "GET, POST", "Access-Control-Allow-Headers": "content-type"})

            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                host = (self.headers.get("Host") or "").split(":")[0].lower()
                path = urlsplit(self.path).path
                vendor.requests.append(VendorRequest(self.command, host, self.path, body))
                status, content_type, payload = vendor.respond(host, path)
                self._send(status, content_type, payload)

            def _send(self, status: int, content_type: str, payload: bytes, extra: dict[str, str] | None = None) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(payload)))
                self.send_header("Cache-Control", "no-store")
                origin = self.headers.get("Origin")
                if origin:
                    self.send_header("Access-Control-Allow-Origin", origin)
                    self.send_header("Access-Control-Allow-Credentials", "true")
                for name, value in (extra or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert_path, key_path)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.address = f"127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def respond(self, host: str, path: str) -> tuple[int, str, bytes]:
        """Return the status, content type and body the real host would send for a request."""
        if host == "cdn.segment.com" and path.endswith("/analytics.min.js"):
            return 200, "text/javascript", (FIXTURES_DIR / "segment" / "analytics.js").read_bytes()
        if host == "cdn.segment.com" and path.endswith("/settings"):
            return 200, "application/json", json.dumps(SETTINGS_DOCUMENT).encode()
        if host == "api.segment.io":
            return 200, "application/json", b'{"success": true}'
        if host == "s.pinimg.com" and path == "/ct/core.js":
            if self.behaviour.tag_script_status != 200:
                body = b"<!doctype html><h1>Not Found</h1>" if "html" in self.behaviour.tag_script_type else b"/* not found */"
                return self.behaviour.tag_script_status, self.behaviour.tag_script_type, body
            return 200, "text/javascript", (FIXTURES_DIR / "pinterest" / "core.js").read_bytes()
        if host == "ct.pinterest.com" and path.rstrip("/") == "/user":
            if self.behaviour.user_status != 200:
                return self.behaviour.user_status, "text/html", b"<h1>Internal Server Error</h1>"
            return 200, "application/json", b"{}"
        if host == "ct.pinterest.com" and path.rstrip("/") == "/v3":
            return 200, "image/gif", PIXEL_GIF
        return 404, "text/plain", b"not found"

    def requests_to(self, host: str) -> list[VendorRequest]:
        return [request for request in self.requests if request.host == host]

    def reset(self) -> None:
        self.requests.clear()
        self.behaviour = VendorBehaviour()

    def __enter__(self) -> "VendorServer":
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._folder.cleanup()


def _self_signed_certificate(folder: Path, names: tuple[str, ...]) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name) for name in names]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path = folder / "vendor-cert.pem"
    key_path = folder / "vendor-key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return cert_path, key_path


def site_options(tmp_path: Path, site: SiteServer, vendors: VendorServer | None = None, **overrides: Any) -> CheckOptions:
    """CheckOptions for a run on the local shop: shop.example (and the vendors, if given) mapped, nothing else resolvable."""
    host_map = {SITE_HOST: site.address}
    trusted = []
    if vendors is not None:
        host_map.update({host: vendors.address for host in VENDOR_HOSTS})
        trusted.append(vendors.spki)
    options = {
        "output_dir": tmp_path,
        "keep_artifacts": "never",
        "host_map": host_map,
        "only_mapped_hosts": True,
        "trusted_spki": trusted,
    }
    options.update(overrides)
    return CheckOptions(**options)


def site_server() -> Iterator[SiteServer]:
    with SiteServer() as server:
        yield server


def vendor_server() -> Iterator[VendorServer]:
    with VendorServer() as server:
        yield server
