"""Serve a fixture folder over HTTP on 127.0.0.1, from a background thread."""

from __future__ import annotations

import functools
import logging
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from urllib.parse import urljoin

from harness.bundled import FIXTURES_DIR

log = logging.getLogger(__name__)


class _FixtureRequestHandler(SimpleHTTPRequestHandler):
    extensions_map = {
        **SimpleHTTPRequestHandler.extensions_map,
        ".html": "text/html; charset=utf-8",
        ".js": "text/javascript; charset=utf-8",
        ".json": "application/json",
    }

    def end_headers(self) -> None:
        # Every scenario must see the files as they are now, never a cached copy.
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def log_message(self, format: str, *args: object) -> None:
        log.debug("fixture server: " + format, *args)


class FixtureServer:
    """An HTTP server for one folder, listening on an ephemeral port of 127.0.0.1.

    Use it as a context manager, or call start() and stop().
    """

    def __init__(self, root: Path | str = FIXTURES_DIR) -> None:
        self.root = Path(root).resolve()
        if not self.root.is_dir():
            raise FileNotFoundError(f"Fixture folder {self.root} does not exist; give the folder to serve.")
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The server's base URL, ending with a slash."""
        if self._server is None:
            raise RuntimeError("The fixture server is not running; call start() first.")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/"

    @property
    def origin(self) -> str:
        return self.url.rstrip("/")

    def url_for(self, path: str) -> str:
        """Return the URL of a file, given its path relative to the served folder."""
        return urljoin(self.url, path.lstrip("/"))

    def start(self) -> "FixtureServer":
        if self._server is not None:
            return self
        handler = functools.partial(_FixtureRequestHandler, directory=str(self.root))
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="fixture-server", daemon=True)
        self._thread.start()
        log.debug("fixture server: serving %s at %s", self.root, self.url)
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join()
        log.debug("fixture server: stopped serving %s", self.root)
        self._server = None
        self._thread = None

    def __enter__(self) -> "FixtureServer":
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
