"""Watch a browser context's network and console for what a diagnosis needs, without routing anything.

Records how every request to a Pinterest host ended: status, content type,
failure, and for `/user/` whether the body is JSON. Also records the HTML of
each top-level document (for the noscript fallback), console messages about
a Content-Security-Policy that name a Pinterest host, and whether the tag
became active. Playwright reports a request that CSP blocked as failed with
the text "csp", so such a request is recorded even though it never left the
browser.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass

from playwright.sync_api import BrowserContext, ConsoleMessage, Request, Response
from playwright.sync_api import Error as PlaywrightError

from harness.diagnose import RequestOutcome
from harness.wire import is_pinterest_host, split_url

log = logging.getLogger(__name__)

# Larger documents are not kept: the noscript fallback sits in the first part
# of a page, but the whole body is read, so a cap bounds the memory used.
MAX_DOCUMENT_BYTES = 5_000_000


@dataclass
class DocumentLoad:
    """One top-level document the browser received."""

    url: str
    status: int
    time: float  # seconds since the epoch
    html: str | None  # the body as text, or None when it is not HTML or could not be read


class NetworkObserver:
    """Passive records of one browser context, for diagnosis and the noscript check."""

    def __init__(self) -> None:
        self.pinterest: list[RequestOutcome] = []
        self.documents: list[DocumentLoad] = []
        self.csp_messages: list[str] = []
        self._outcomes: dict[Request, RequestOutcome] = {}

    def install(self, context: BrowserContext) -> None:
        context.on("request", self._on_request)
        context.on("response", self._on_response)
        context.on("requestfailed", self._on_failed)
        context.on("console", self._on_console)

    @property
    def tag_active(self) -> bool:
        """True once the page has made any request to a Pinterest host."""
        return bool(self.pinterest)

    def _on_request(self, request: Request) -> None:
        if not is_pinterest_host(split_url(request.url)[0]):
            return
        outcome = RequestOutcome(url=request.url, method=request.method)
        self._outcomes[request] = outcome
        self.pinterest.append(outcome)

    def _on_response(self, response: Response) -> None:
        request = response.request
        outcome = self._outcomes.get(request)
        if outcome is not None:
            outcome.status = response.status
            outcome.content_type = response.headers.get("content-type")
            if outcome.endpoint == "user" and 200 <= response.status < 300:
                outcome.json_body = _is_json(response)
            return
        # NOTE: only top-level documents are kept, so noscript images in iframes are not checked.
        if request.resource_type == "document" and _is_main_frame(request):
            self.documents.append(DocumentLoad(response.url, response.status, time.time(), _html_of(response)))

    def _on_failed(self, request: Request) -> None:
        outcome = self._outcomes.get(request)
        if outcome is not None:
            # Chromium marks a request the harness itself aborted with ".Inspector"
            # (net::ERR_BLOCKED_BY_CLIENT.Inspector); users know the plain code.
            outcome.failure = (request.failure or "failed").removesuffix(".Inspector")

    def _on_console(self, message: ConsoleMessage) -> None:
        text = message.text
        if "Content Security Policy" in text and ("pinterest.com" in text or "pinimg.com" in text):
            self.csp_messages.append(text)


def _is_main_frame(request: Request) -> bool:
    try:
        return request.frame.parent_frame is None
    except PlaywrightError:
        return False  # A service worker's request has no frame.


def _is_json(response: Response) -> bool | None:
    try:
        body = response.body()
    except PlaywrightError as error:
        log.debug("could not read the body of %s: %s", response.url, error)
        return None
    try:
        json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return False
    return True


def _html_of(response: Response) -> str | None:
    if not 200 <= response.status < 300:
        return None
    if "html" not in (response.headers.get("content-type") or ""):
        return None
    try:
        body = response.body()
    except PlaywrightError as error:
        log.debug("could not read the document %s: %s", response.url, error)
        return None
    if len(body) > MAX_DOCUMENT_BYTES:
        log.info("document %s is larger than %d bytes; its noscript fallback is not checked", response.url, MAX_DOCUMENT_BYTES)
        return None
    return body.decode("utf-8", errors="replace")
