"""The call log: every command a page passes to `pintrk`, recorded in the page.

An init script wraps `window.pintrk` before any page script runs. Each call is
serialised to JSON before the tag receives it and sent to Python through a
binding, so the log survives navigations. The page keeps its own copy in
`window.__pintrkCallLog`. Console messages are recorded here too, because
the tag reports rejected commands on the console.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from typing import Any

from playwright.sync_api import BrowserContext
from playwright.sync_api import ConsoleMessage as PlaywrightConsoleMessage
from playwright.sync_api import Error as PlaywrightError

log = logging.getLogger(__name__)

BINDING_NAME = "__pintrkHarnessRecord"

# Runs in every frame before the page's own scripts.
#
# window.pintrk becomes an accessor. Whatever function the page or the tag
# assigns is stored as is, and reading the property returns a Proxy of it
# (one per function, so `window.pintrk === window.pintrk` holds). Property
# reads and writes pass through to the function, so `pintrk.queue` and
# `pintrk.version` stay the page's own. Calling the proxy records the call.
#
# Each command is recorded once through the stub-then-tag lifecycle:
# - A call made while another call to window.pintrk is running comes from
#   the tag itself (a wrapper calling the function it replaced), so it is
#   not recorded again.
# - The stub records nothing itself: its push onto pintrk.queue happens
#   inside a recorded call. A push made outside any call (page code writing
#   to the queue directly) is recorded with source "queue", unless it pushes
#   a command array the stub queued earlier (the tag replaying the queue).
# - When the tag replaces window.pintrk and at once (before the next
#   microtask) replays the queued commands through window.pintrk, calls equal
#   to the queued commands (same elements, in queue order) are replays and
#   are not recorded.
# NOTE: a tag that replays the queue later (after an await or a timer) has
# those replays recorded a second time. A top-level `function pintrk() {}`
# or `delete window.pintrk` removes the accessor, and later calls go unrecorded.
INIT_SCRIPT = r"""
(() => {
  if (Object.prototype.hasOwnProperty.call(window, "__pintrkCallLog")) return;

  // Built-ins taken before any page script could replace them.
  const stringify = JSON.stringify;
  const parse = JSON.parse;
  const defineProperty = Object.defineProperty;
  const reflectApply = Reflect.apply;
  const reflectSet = Reflect.set;
  const nativePush = Array.prototype.push;
  const slice = Array.prototype.slice;
  const isArray = Array.isArray;
  const now = Date.now;
  const queueMicrotask = window.queueMicrotask.bind(window);
  const PromiseAll = Promise.all.bind(Promise);

  const callLog = [];
  const pending = new Set();
  const proxies = new WeakMap();
  const targets = new WeakMap();
  const queueStates = new WeakMap();
  const queuedItems = new WeakSet();
  let replayCandidates = [];
  let replayWindowOpen = false;
  let current;
  let depth = 0;
  let seq = 0;

  const isObject = (value) => value !== null && (typeof value === "object" || typeof value === "function");

  function toArgs(item) {
    if (isArray(item)) return item;
    if (isObject(item) && typeof item.length === "number") return reflectApply(slice, item, []);
    return [item];
  }

  function snapshot(source, args) {
    const entry = {
      seq: ++seq, source, queued: false, time: now(), url: String(location.href),
      mainFrame: window === window.top, args: null, error: null,
    };
    try {
      entry.args = stringify(args);
    } catch (error) {
      entry.error = String(error);
    }
    return entry;
  }

  function publish(entry) {
    reflectApply(nativePush, callLog, [{...entry, args: entry.args === null ? null : parse(entry.args)}]);
    const binding = window.__pintrkHarnessRecord;
    if (typeof binding !== "function") return;
    const {args, ...meta} = entry;
    const delivered = binding(meta, args);
    pending.add(delivered);
    const settle = () => pending.delete(delivered);
    delivered.then(settle, settle);
  }

  function noteQueued(item) {
    if (isObject(item)) queuedItems.add(item);
    replayCandidates.push(item);
  }

  function sameElements(args, item) {
    const queued = toArgs(item);
    if (args.length !== queued.length) return false;
    for (let i = 0; i < args.length; i++) {
      if (args[i] !== queued[i]) return false;
    }
    return true;
  }

  function takeReplay(args) {
    if (!replayWindowOpen || replayCandidates.length === 0) return false;
    if (!sameElements(args, replayCandidates[0])) return false;
    replayCandidates.shift();
    return true;
  }

  function openReplayWindow() {
    if (replayCandidates.length === 0 || replayWindowOpen) return;
    replayWindowOpen = true;
    queueMicrotask(() => {
      replayWindowOpen = false;
      replayCandidates = [];
    });
  }

  function readQueue(target) {
    try {
      return target.queue;
    } catch (error) {
      return undefined;
    }
  }

  // Wrap queue.push, keeping whatever push function the page or the tag sets.
  function hookQueue(queue) {
    if (!isObject(queue) || queueStates.has(queue)) return;
    const state = {push: queue.push};
    queueStates.set(queue, state);
    const recordingPush = function (...items) {
      if (depth === 0) {
        for (const item of items) {
          if (isObject(item) && queuedItems.has(item)) continue;
          const entry = snapshot("queue", toArgs(item));
          entry.queued = state.push === nativePush;
          if (entry.queued) noteQueued(item);
          publish(entry);
        }
      }
      return reflectApply(state.push, this, items);
    };
    try {
      defineProperty(queue, "push", {
        configurable: true,
        enumerable: false,
        get: () => recordingPush,
        set: (replacement) => {
          // The tag takes commands straight from the queue from now on, so
          // it will not replay the queued ones through window.pintrk.
          state.push = replacement;
          replayCandidates = [];
        },
      });
    } catch (error) {
      // A frozen queue: direct pushes onto it go unrecorded.
      queueStates.delete(queue);
    }
  }

  // True while pushing onto the queue only stores the command for the tag.
  function isWaitingQueue(queue) {
    if (!isArray(queue)) return false;
    const state = queueStates.get(queue);
    return state === undefined || state.push === nativePush;
  }

  const handler = {
    apply(target, thisArg, args) {
      hookQueue(readQueue(target));
      const entry = depth === 0 && !takeReplay(args) ? snapshot("call", args) : null;
      const queue = readQueue(target);
      const lengthBefore = isWaitingQueue(queue) ? queue.length : -1;
      depth++;
      try {
        return reflectApply(target, thisArg, args);
      } finally {
        depth--;
        if (entry !== null) {
          if (lengthBefore >= 0 && readQueue(target) === queue && queue.length > lengthBefore) {
            entry.queued = true;
            for (let i = lengthBefore; i < queue.length; i++) noteQueued(queue[i]);
          }
          publish(entry);
        }
      }
    },
    set(target, key, value) {
      if (key === "queue") hookQueue(value);
      return reflectSet(target, key, value);
    },
  };

  function proxyFor(fn) {
    let proxy = proxies.get(fn);
    if (proxy === undefined) {
      proxy = new Proxy(fn, handler);
      proxies.set(fn, proxy);
      targets.set(proxy, fn);
    }
    return proxy;
  }

  defineProperty(window, "pintrk", {
    configurable: true,
    enumerable: true,
    get: () => (typeof current === "function" ? proxyFor(current) : current),
    set: (value) => {
      if (targets.has(value)) value = targets.get(value);
      if (typeof value === "function" && typeof current === "function" && value !== current) openReplayWindow();
      current = value;
      if (typeof value === "function") hookQueue(readQueue(value));
    },
  });
  defineProperty(window, "__pintrkCallLog", {value: callLog});
  defineProperty(window, "__pintrkHarnessFlush", {value: () => PromiseAll(Array.from(pending)).then(() => callLog.length)});
})();
"""

_FLUSH_SCRIPT = '() => typeof window.__pintrkHarnessFlush === "function" ? window.__pintrkHarnessFlush() : 0'


@dataclass
class PintrkCall:
    """One command passed to `window.pintrk` (or pushed onto `pintrk.queue`)."""

    # The arguments as JSON.stringify wrote them when the call was made
    # (undefined and functions become null), or None when they could not be
    # serialised (then `error` contains the JavaScript error message).
    args: list[Any] | None
    source: str  # "call" for window.pintrk(...), "queue" for a direct pintrk.queue.push(...)
    queued: bool  # the command waited in pintrk.queue for the tag to load
    url: str  # the URL of the document that made the call, at the time of the call
    main_frame: bool  # False when the call came from an iframe
    time: float  # seconds since the epoch
    error: str | None = None

    @property
    def command(self) -> Any:
        """The command name as passed (the first argument), or None."""
        return self.args[0] if self.args else None


@dataclass
class ConsoleEntry:
    """One console message from a page or frame."""

    type: str  # "log", "warning", "error", ...
    text: str
    url: str | None  # the script that logged it, when known
    page_url: str | None
    time: float


class CallLog:
    """The pintrk calls and console messages of every page in one browser context."""

    def __init__(self) -> None:
        self.calls: list[PintrkCall] = []
        self.console: list[ConsoleEntry] = []

    def install(self, context: BrowserContext) -> None:
        """Record calls in every page the context opens from now on; pages open already are not covered."""
        context.expose_binding(BINDING_NAME, self._on_record)
        context.add_init_script(script=INIT_SCRIPT)
        context.on("console", self._on_console)

    def flush(self, context: BrowserContext) -> None:
        """Wait until every call the open pages recorded so far has reached `calls`."""
        for page in context.pages:
            for frame in page.frames:
                try:
                    frame.evaluate(_FLUSH_SCRIPT)
                except PlaywrightError as error:
                    # The frame navigated or closed; what it had sent already is kept.
                    log.debug("call log: could not flush frame %s: %s", frame.url, error)

    def _on_record(self, source: dict[str, Any], meta: dict[str, Any], args_json: str | None) -> None:
        self.calls.append(
            PintrkCall(
                args=json.loads(args_json) if args_json is not None else None,
                source=meta["source"],
                queued=bool(meta["queued"]),
                url=meta["url"],
                main_frame=bool(meta["mainFrame"]),
                time=meta["time"] / 1000,
                error=meta.get("error"),
            )
        )

    def _on_console(self, message: PlaywrightConsoleMessage) -> None:
        page = message.page
        self.console.append(
            ConsoleEntry(
                type=message.type,
                text=message.text,
                url=message.location.get("url") or None,
                page_url=page.url if page is not None else None,
                time=time.time(),
            )
        )
