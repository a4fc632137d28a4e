"""Run mitmproxy with the capture addon inside this process, on a thread of its own.

mitmproxy's master runs on its own asyncio event loop in a daemon thread. The
addon hands each decoded request to this object, which keeps it in a list and
a queue for the caller. In-process beats a `mitmdump` subprocess here: events
arrive as objects without polling a file, the real port of an ephemeral
listener comes straight from the server, and startup errors come back as
exceptions. The cost: mitmproxy keeps its master and options in module
globals (`mitmproxy.ctx`), so one CaptureProxy runs per process at a time.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import logging
import queue
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from mitmproxy import ctx, options
from mitmproxy.addons import default_addons
from mitmproxy.master import Master

from harness.capture.mitm_addon import DEFAULT_HOSTS, PintrkCapture
from harness.capture.proxy_error import ProxyStartError
from harness.wire import TagRequest

logger = logging.getLogger(__name__)

# The CA certificate mitmproxy writes into its confdir (PEM, no private key).
CA_CERT_NAME = "mitmproxy-ca-cert.pem"

_one_per_process = threading.Lock()


@dataclass(frozen=True)
class ProxiedRequest:
    """A decoded tag request and the address (host:port) of the client that sent it."""

    request: TagRequest
    client: str


class CaptureProxy:
    """mitmproxy with the capture addon, listening on `listen_host`:`port` (0 picks a free port).

    Use it as a context manager, or call start() and stop(). Decoded requests
    arrive in `queue`, in `captured()`, and in the `on_request` callback,
    which runs on the proxy's thread and must return quickly.
    """

    def __init__(
        self,
        confdir: str | Path | None = None,
        *,
        listen_host: str = "127.0.0.1",
        port: int = 0,
        passthrough: bool = False,
        offline: bool = False,
        jsonl: str | Path | None = None,
        hosts: Sequence[str] = DEFAULT_HOSTS,
        plain_emails: bool = False,
        on_request: Callable[[ProxiedRequest], None] | None = None,
    ) -> None:
        self._own_confdir = confdir is None
        self.confdir = Path(confdir) if confdir is not None else None
        self.listen_host = listen_host
        self.port = port
        self._options = {
            "listen_host": listen_host,
            "listen_port": port,
            # Connect upstream only when a request needs it, never at CONNECT time.
            "connection_strategy": "lazy",
            "pintrk_passthrough": passthrough,
            "pintrk_offline": offline,
            "pintrk_jsonl": str(jsonl) if jsonl is not None else "",
            "pintrk_hosts": list(hosts),
            "pintrk_plain_emails": plain_emails,
        }
        self.on_request = on_request
        self.queue: queue.Queue[ProxiedRequest] = queue.Queue()
        self.addon = PintrkCapture(on_request=self._receive)
        self._captured: list[ProxiedRequest] = []
        self._arrived = threading.Condition()
        self._ready = threading.Event()
        self._start_error: BaseException | str | None = None
        self._master: Master | None = None
        self._thread: threading.Thread | None = None

    # Lifecycle

    def start(self, timeout: float = 30.0) -> CaptureProxy:
        """Start the proxy and wait until it accepts connections; raise ProxyStartError if it does not."""
        if not _one_per_process.acquire(blocking=False):
            raise ProxyStartError(
                "another CaptureProxy is running in this process; stop it first "
                "(mitmproxy keeps its state in module globals)"
            )
        if self._own_confdir:
            self.confdir = Path(tempfile.mkdtemp(prefix="pintrk-proxy-"))
        self._options["confdir"] = str(self.confdir)
        self._thread = threading.Thread(target=self._serve, name="pintrk-mitmproxy", daemon=True)
        self._thread.start()

        if not self._ready.wait(timeout):
            self.stop()
            raise ProxyStartError(f"mitmproxy did not start listening within {timeout} seconds")
        if self._start_error is not None:
            error = self._start_error
            self.stop()
            raise ProxyStartError(f"mitmproxy did not start: {error}")
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the proxy, close the JSON-lines file, and delete a temporary confdir."""
        if self._thread is None:
            return
        try:
            self._shut_down_master()
            self._thread.join(timeout)
            if self._thread.is_alive():
                logger.warning("mitmproxy's thread did not end within %s seconds; leaving it as a daemon", timeout)
            if self._own_confdir and self.confdir is not None:
                shutil.rmtree(self.confdir, ignore_errors=True)
        finally:
            self._thread = None
            self._master = None
            _one_per_process.release()

    def _shut_down_master(self) -> None:
        if self._master is None:
            return
        try:
            self._master.shutdown()
        except RuntimeError:
            # The event loop has closed, so the master already ended (after a failed start).
            logger.debug("mitmproxy's event loop had already closed")

    def __enter__(self) -> CaptureProxy:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # What the browser needs

    @property
    def url(self) -> str:
        """The proxy's address as a URL, for --proxy-server or Playwright's proxy setting."""
        host = f"[{self.listen_host}]" if ":" in self.listen_host else self.listen_host
        return f"http://{host}:{self.port}"

    @property
    def ca_cert_path(self) -> Path:
        """The CA certificate (PEM) a client must trust to accept the proxy's HTTPS responses."""
        if self.confdir is None:
            raise RuntimeError("the proxy has not been started, so it has no CA yet")
        return self.confdir / CA_CERT_NAME

    @property
    def spki_hash(self) -> str:
        """Base64 SHA-256 of the CA's SubjectPublicKeyInfo, for Chromium's --ignore-certificate-errors-spki-list."""
        return spki_hash(self.ca_cert_path)

    def chromium_args(self) -> list[str]:
        """Chromium flags that send traffic through the proxy and accept its certificates.

        Chromium skips the proxy for loopback hosts unless it is also given
        --proxy-bypass-list=<-loopback>.
        """
        return [f"--proxy-server={self.url}", f"--ignore-certificate-errors-spki-list={self.spki_hash}"]

    # Captured requests

    def captured(self) -> list[ProxiedRequest]:
        """Return every request captured so far, in arrival order."""
        with self._arrived:
            return list(self._captured)

    def wait_for(self, predicate: Callable[[TagRequest], bool], timeout: float = 10.0) -> ProxiedRequest:
        """Return the first captured request that matches, waiting up to `timeout` seconds for it.

        Raises TimeoutError listing what did arrive.
        """
        deadline = time.monotonic() + timeout
        with self._arrived:
            while True:
                for item in self._captured:
                    if predicate(item.request):
                        return item
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    seen = ", ".join(f"{item.request.endpoint}:{item.request.event}" for item in self._captured)
                    raise TimeoutError(
                        f"no matching request within {timeout} seconds; captured: {seen or 'nothing'}"
                    )
                self._arrived.wait(remaining)

    def _receive(self, request: TagRequest, client: str) -> None:
        item = ProxiedRequest(request, client)
        with self._arrived:
            self._captured.append(item)
            self._arrived.notify_all()
        self.queue.put(item)
        if self.on_request is not None:
            self.on_request(item)

    # The proxy thread

    def _serve(self) -> None:
        try:
            asyncio.run(self._run_master())
        except Exception as error:  # reported to start(); nothing else can see this thread's errors
            if self._ready.is_set():
                logger.exception("mitmproxy stopped with an error")
            else:
                self._start_error = error
        finally:
            if not self._ready.is_set():
                self._start_error = self._start_error or "mitmproxy ended before listening"
                self._ready.set()

    async def _run_master(self) -> None:
        master = Master(options.Options())
        master.addons.add(*default_addons())
        master.addons.add(self.addon, _ReadySignal(self))
        try:
            master.options.update(**self._options)
        except Exception:
            # done() removes the log handler the master installed on the root logger.
            await master.done()
            raise
        self._master = master
        await master.run()

    def _started(self, addresses: list[tuple], failures: list[str]) -> None:
        if addresses:
            self.port = addresses[0][1]
        else:
            self._start_error = "; ".join(failures) or "no listening socket"
            assert self._master is not None
            self._master.shutdown()
        self._ready.set()


class _ReadySignal:
    """Reports the listening address, or why there is none, once mitmproxy is running."""

    def __init__(self, proxy: CaptureProxy) -> None:
        self.proxy = proxy

    def running(self) -> None:
        server = ctx.master.addons.get("proxyserver")
        # mitmproxy's message goes on with a line suggesting its own `--mode`
        # option, which means nothing to a harness user, so only the first line is kept.
        failures = [
            f"{instance.mode.description}: {str(instance.last_exception).splitlines()[0]}"
            for instance in server.servers
            if instance.last_exception is not None
        ]
        self.proxy._started(server.listen_addrs(), failures)


def spki_hash(cert_path: Path) -> str:
    """Return the base64 SHA-256 of a PEM certificate's SubjectPublicKeyInfo."""
    certificate = x509.load_pem_x509_certificate(cert_path.read_bytes())
    info = certificate.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(hashlib.sha256(info).digest()).decode("ascii")
