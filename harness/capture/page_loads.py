"""Record each top-level page load with the user analytics.js had stored when it began.

The destination reads the stored traits once, when a page loads (for
`useEnhancedMatchLoad`), so a check needs them as they were at that moment,
before the page's own scripts run and change them.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

from playwright.sync_api import BrowserContext

log = logging.getLogger(__name__)

BINDING_NAME = "__pintrkHarnessPageLoad"

# Runs before the page's own scripts, in the top-level frame only.
INIT_SCRIPT = """
(() => {
  if (window.top !== window) return;
  let traits = null;
  let userId = null;
  try { traits = window.localStorage.getItem("ajs_user_traits"); } catch (error) {}
  try { userId = window.localStorage.getItem("ajs_user_id"); } catch (error) {}
  window.%s({url: location.href, traits: traits, userId: userId});
})();
""" % BINDING_NAME


@dataclass
class PageLoad:
    """One top-level document: its URL, when it began and the user stored at that moment."""

    url: str
    time: float
    stored_traits: Any
    stored_user_id: Any


class PageLoadLog:
    """Collects PageLoad records from every page of a browser context, in order."""

    def __init__(self) -> None:
        self.loads: list[PageLoad] = []
        self._lock = threading.Lock()

    def install(self, context: BrowserContext) -> None:
        context.expose_binding(BINDING_NAME, self._record)
        context.add_init_script(INIT_SCRIPT)

    def _record(self, source: Any, record: Any) -> None:
        if not isinstance(record, dict):
            log.warning("page load record ignored: expected an object, got %r", record)
            return
        load = PageLoad(
            url=str(record.get("url")),
            time=time.time(),
            stored_traits=_parse_stored(record.get("traits")),
            stored_user_id=_parse_stored(record.get("userId")),
        )
        with self._lock:
            self.loads.append(load)


def _parse_stored(text: Any) -> Any:
    """Read a value analytics.js stored as JSON; text that is not JSON is kept as it is."""
    if not isinstance(text, str):
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text
