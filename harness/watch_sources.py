"""Sources of watch mode's observations: a browser context, or the capture proxy.

BrowserFeed runs the browser's events for a while (Playwright's sync API
delivers events only while it is called) and then queues, in time order,
whatever the capture, the call log and the page load log recorded since
the last pump. proxied_request() turns what the proxy decoded into the same
CapturedRequest a browser watch queues.
"""

from __future__ import annotations

import queue
from typing import Any

from playwright.sync_api import Page

from harness.capture.call_log import CallLog
from harness.capture.page_loads import PageLoadLog
from harness.capture.proxy import ProxiedRequest
from harness.capture.routes import Capture, CapturedRequest
from harness.watch import CdnSettings, SegmentRequest


class BrowserFeed:
    """Queues the observations of one browser context for a Watcher."""

    def __init__(self, page: Page, capture: Capture, call_log: CallLog, page_loads: PageLoadLog, target: "queue.Queue[Any]") -> None:
        self.page = page
        self.capture = capture
        self.call_log = call_log
        self.page_loads = page_loads
        self.target = target
        self._counts = {"loads": 0, "settings": 0, "segment_requests": 0, "segment_calls": 0, "calls": 0, "requests": 0}

    def pump(self, seconds: float) -> None:
        """Let the browser run for `seconds`, then queue what was recorded meanwhile.

        Raises playwright's Error when the page was closed (the user closed the window).
        """
        self.page.wait_for_timeout(max(seconds * 1000, 1))
        self.collect()

    def collect(self) -> None:
        """Queue, ordered by time, every observation recorded since the last call."""
        items: list[tuple[float, Any]] = []
        items += [(load.time, load) for load in self._new("loads", self.page_loads.loads)]
        items += [(response.request.time, CdnSettings(response.destination_settings)) for response in self._new("settings", self.capture.settings_responses)]
        items += [(captured.time, SegmentRequest(captured)) for captured in self._new("segment_requests", self.capture.segment_requests)]
        items += [(call.request.time, call) for call in self._new("segment_calls", self.capture.segment_calls)]
        items += [(call.time, call) for call in self._new("calls", self.call_log.calls)]
        items += [(captured.time, captured) for captured in self._new("requests", self.capture.requests) if captured.tag is not None]
        # A stable sort keeps the order above for equal times: page loads first.
        for _, item in sorted(items, key=lambda pair: pair[0]):
            self.target.put(item)

    def _new(self, name: str, records: list[Any]) -> list[Any]:
        start = self._counts[name]
        new = records[start:]
        self._counts[name] = start + len(new)
        return new


def proxied_request(item: ProxiedRequest) -> CapturedRequest:
    """Wrap a request the proxy decoded as a CapturedRequest with no page (the proxy cannot know it)."""
    tag = item.request
    return CapturedRequest(
        method=tag.method,
        url=tag.url,
        body=None,
        content_type=None,
        resource_type="other",
        frame_url=None,
        page_url=None,
        time=tag.time or 0.0,
        tag=tag,
    )
