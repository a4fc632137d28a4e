"""Predict what the Pinterest tag sends for the pintrk commands of a page load.

Pure: takes pintrk commands (lists as passed to `pintrk`, e.g.
`["track", "Checkout", {"value": "10.50"}]`) and returns the expected wire
events plus the console messages the tag would log. The rules follow a
2022-23 build of Pinterest's core.js tag:

- Command names are trimmed and lowercased. `load`, `set`, `page`, `track`
  and `setconsent` are known, and any other name logs a warning and is ignored.
- `load` stores the tag id and merges partner data like `set`. A second `load`
  logs a warning and the later id wins. `set` merges partner data.
- `page` sends the event `init`. `page` or `track` before `load` logs an error
  and sends nothing (the tag is known to do so for `page`, and `track` is
  assumed to behave the same).
- `track` sends its name trimmed with case kept, no `event` parameter when
  the name is falsy, and a warning for a name that is not a standard one.
- Partner data identity keys are hashed (see `hash_identity`) and persist for
  the rest of the page. `setconsent(false)` stops all sending.
- Inputs outside these rules, such as a `load` without a tag id, `set` with
  something other than an object, or event data that is not an object, log
  an error and are dropped. This is a guess, not checked against the tag.
- The tag also sends one `/user/` request per page (`dep=2,PAGE_LOAD`). It is
  modelled as an optional event that goes out just before the page's first
  `/v3/` event.
"""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass, field
from typing import Any, Sequence

from harness.jsvalue import UNDEFINED, own_keys, to_js_string, to_json_value, truthy, utf8_bytes

STANDARD_EVENTS = frozenset(
    {
        "pagevisit",
        "viewcategory",
        "search",
        "addtocart",
        "checkout",
        "watchvideo",
        "signup",
        "lead",
        "custom",
        "externalmeasurement",
    }
)
# The tag's own name for the `page` event; compared ignoring case like the standard names.
PAGE_EVENT = "init"
IDENTITY_KEYS = ("em", "fn", "ln", "ph", "ge", "db", "ct", "st", "zp", "country", "external_id")
PAGE_LOAD_DEP = "2,PAGE_LOAD"
EMAIL_PLACEHOLDER = "<user_email_address>"

# JavaScript's String.prototype.trim removes these (WhiteSpace and LineTerminator);
# Python's str.strip differs (it removes U+001C..U+001F and keeps U+FEFF).
_JS_WHITESPACE = "\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
_HASH_PATTERN = re.compile(r"[0-9a-f]{32}|[0-9a-f]{40}|[0-9a-f]{64}")
# A decimal literal as JavaScript's Number() reads it, after trimming.
_DECIMAL_PATTERN = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
# NOTE: the tag's own email test is not known, so this pattern is an approximation.
_EMAIL_PATTERN = re.compile(r"[^\s@]+@[^\s@]+\.[^\s@]+")


@dataclass
class ExpectedEvent:
    """One request the tag is expected to send.

    `endpoint` is "v3" for events and "user" for the per-page `/user/`
    request, which is `optional` so matching can leave it out. `event` is the
    name as it goes on the wire, and None means no `event` parameter. `ed` is
    the event data (None means no `ed` parameter) and `pd` the partner data
    the tag has stored at that moment, both as JSON values. `pd_origins` maps
    each partner data key to the label of the command that gave it, so a
    report can show why `em` is there. `command_index` is the position of the
    causing command in its page's list, and `origin` is its label.
    """

    endpoint: str
    event: str | None
    tid: str | None
    ed: dict[str, Any] | None
    pd: dict[str, Any]
    command_index: int
    origin: str
    pd_origins: dict[str, str] = field(default_factory=dict)
    optional: bool = False
    dep: str | None = None
    page: int = 0

    @property
    def em_origin(self) -> str | None:
        """Label of the command that put `em` in the partner data, or None."""
        return self.pd_origins.get("em")


@dataclass(frozen=True)
class ConsoleMessage:
    """A message the tag logs: `level` is "warning" or "error"."""

    level: str
    text: str
    command_index: int


@dataclass
class TagPage:
    """The expected requests and console messages of one page load."""

    events: list[ExpectedEvent]
    console: list[ConsoleMessage]


def js_trim(text: str) -> str:
    """Trim a string as JavaScript's `String.prototype.trim` does."""
    return text.strip(_JS_WHITESPACE)


def hash_identity(value: Any) -> str:
    """Normalise and hash one identity value as the tag does.

    `String(value).trim().toLowerCase()`, kept when it is 32, 40 or 64 hex
    digits (taken as already hashed), else the lowercase hex SHA-256 of its
    UTF-8 bytes (a lone surrogate encoded as U+FFFD, as TextEncoder does).
    """
    # NOTE: null and undefined hash as the strings "null" and "undefined", as String()
    # gives them. Whether the tag skips them instead is unchecked.
    # NOTE: a lone surrogate is hashed as U+FFFD; whether the tag does so too is unchecked.
    text = js_trim(to_js_string(value)).lower()
    if _HASH_PATTERN.fullmatch(text):
        return text
    return hashlib.sha256(utf8_bytes(text)).hexdigest()


def normalise_partner_data(data: dict[str, Any]) -> dict[str, Any]:
    """Return partner data with identity keys hashed, as `set` stores it.

    Other keys (`np`, ...) keep their values. A key whose value is UNDEFINED is
    left out, as `JSON.stringify` leaves it out of `pd`.
    """
    result: dict[str, Any] = {}
    for key in own_keys(data):
        value = data[key]
        if value is UNDEFINED:
            continue
        result[key] = hash_identity(value) if key in IDENTITY_KEYS else to_json_value(value)
    return result


def looks_like_email(value: Any) -> bool:
    """Tell whether a value is a string the tag treats as an email address."""
    return isinstance(value, str) and _EMAIL_PATTERN.fullmatch(js_trim(value)) is not None


def is_standard_event(name: str | None) -> bool:
    """Tell whether an event name is one of the tag's standard names (or `init`)."""
    if name is None:
        return False
    lowered = name.lower()
    return lowered in STANDARD_EVENTS or lowered == PAGE_EVENT


def numeric_value(value: Any) -> int | float | None:
    """Return the number a numeric `value` becomes, or None when it is not numeric.

    Numeric means a finite number, or a string that is a decimal number after
    JavaScript trimming ("10.50", " 5 ", "-1e3", ".5"), which both `Number()`
    and `parseFloat()` read in full. Not numeric: "", hexadecimal ("0x10"),
    "Infinity", booleans, null, objects, arrays and dates.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return value if math.isfinite(value) else None
    if not isinstance(value, str):
        return None
    text = js_trim(value)
    if not _DECIMAL_PATTERN.fullmatch(text):
        return None
    number = float(text)
    if not math.isfinite(number):
        return None
    if number.is_integer() and abs(number) < 2**53:
        return int(number)
    return number


def encode_page(commands: Sequence[Any], labels: Sequence[str] | None = None, page: int = 0) -> TagPage:
    """Run one page load's pintrk commands through the tag model.

    `labels` gives one human-readable label per command (e.g. "identify with
    an email at step 3"); they become `origin` and `pd_origins` text. Without
    labels each command is labelled like "track('Checkout') (commands[3])".
    """
    if labels is not None and len(labels) != len(commands):
        raise ValueError(
            f"labels has {len(labels)} entries for {len(commands)} pintrk commands. "
            "Pass one label per command, or no labels."
        )
    state = _PageState(page)
    for index, command in enumerate(commands):
        label = labels[index] if labels is not None else default_label(command, index, page)
        state.run(command, index, label)
    return TagPage(events=state.events, console=state.console)


def encode_pages(pages: Sequence[Sequence[Any]], labels: Sequence[Sequence[str]] | None = None) -> list[TagPage]:
    """Run several page loads. Partner data and the tag id start empty on each page."""
    if labels is not None and len(labels) != len(pages):
        raise ValueError(
            f"labels has {len(labels)} lists for {len(pages)} pages. Pass one list of labels per page, or no labels."
        )
    return [encode_page(commands, labels[page] if labels is not None else None, page) for page, commands in enumerate(pages)]


def default_label(command: Any, index: int, page: int) -> str:
    """Label a command by its name and position, never showing partner data values."""
    position = f"commands[{index}]" if page == 0 else f"pages[{page}][{index}]"
    return f"{_summarise(command)} ({position})"


def _summarise(command: Any) -> str:
    if not isinstance(command, (list, tuple)) or not command:
        return "pintrk()"
    name = js_trim(to_js_string(command[0])).lower()
    first = command[1] if len(command) > 1 else UNDEFINED
    if name == "track" and first is not UNDEFINED:
        return f"track({_describe(first)})"
    if name == "load" and first is not UNDEFINED:
        return f"load({_describe(first)})"
    if name == "set" and isinstance(first, dict):
        return f"set({', '.join(own_keys(first))})"
    if name == "setconsent" and first is not UNDEFINED:
        return f"setconsent({_describe(first)})"
    return f"{name}()"


def _describe(value: Any) -> str:
    """Show a value in a console message without revealing an email address."""
    if looks_like_email(value):
        return "an email address"
    if isinstance(value, str):
        return repr(value)
    return to_js_string(value)


class _PageState:
    """The tag's state during one page load: tag id, partner data, consent."""

    def __init__(self, page: int) -> None:
        self.page = page
        self.tid: str | None = None
        self.partner_data: dict[str, Any] = {}
        self.pd_origins: dict[str, str] = {}
        self.consent = True
        self.user_sent = False
        self.events: list[ExpectedEvent] = []
        self.console: list[ConsoleMessage] = []

    def log(self, level: str, text: str, index: int) -> None:
        self.console.append(ConsoleMessage(level, text, index))

    def run(self, command: Any, index: int, label: str) -> None:
        if not isinstance(command, (list, tuple)) or not command:
            self.log("warning", f"pintrk command {index} is empty or not a list, so the tag ignores it", index)
            return
        name = js_trim(to_js_string(command[0])).lower()
        arguments = list(command[1:])
        if name == "load":
            self.load(arguments, index, label)
        elif name == "set":
            self.merge(arguments[0] if arguments else UNDEFINED, index, label, "set")
        elif name == "page":
            self.send("page", PAGE_EVENT, None, {}, index, label)
        elif name == "track":
            self.track(arguments, index, label)
        elif name == "setconsent":
            # NOTE: setconsent(true) is assumed to resume sending, but only false is specified.
            self.consent = truthy(arguments[0]) if arguments else True
        else:
            self.log("warning", f"{to_js_string(command[0])!r} is not a supported pintrk command, so the tag ignores it", index)

    def load(self, arguments: list[Any], index: int, label: str) -> None:
        tid = arguments[0] if arguments else UNDEFINED
        if not truthy(tid):
            self.log("error", f"load needs a tag id but got {_describe(tid)}, so the tag ignores the command", index)
            return
        tid_text = to_js_string(tid)
        if self.tid is not None:
            self.log("warning", f"load called again: tag id {tid_text!r} replaces {self.tid!r}", index)
        self.tid = tid_text
        if len(arguments) > 1 and arguments[1] is not None and arguments[1] is not UNDEFINED:
            self.merge(arguments[1], index, label, "load")

    def merge(self, data: Any, index: int, label: str, command: str) -> None:
        if not isinstance(data, dict):
            self.log("error", f"{command} needs an object of partner data but got {_describe(data)}, so nothing is merged", index)
            return
        normalised = normalise_partner_data(data)
        for key in own_keys(data):
            if data[key] is UNDEFINED:
                self.partner_data.pop(key, None)
                self.pd_origins.pop(key, None)
        for key, value in normalised.items():
            self.partner_data[key] = value
            self.pd_origins[key] = label
        if normalised.get("em") == hash_identity(EMAIL_PLACEHOLDER):
            self.log("warning", f"em is Pinterest's example placeholder {EMAIL_PLACEHOLDER!r}, which is invalid", index)

    def track(self, arguments: list[Any], index: int, label: str) -> None:
        name = arguments[0] if arguments else UNDEFINED
        # NOTE: a name that is not a string goes out as String(name), "[object Object]"
        # for an object. How the real tag treats such names is unchecked.
        event = js_trim(to_js_string(name)) if truthy(name) else None
        if event is not None and event.lower() not in STANDARD_EVENTS:
            self.log("warning", f"{event!r} is not a standard Pinterest event, so it is sent as a partner-defined event", index)
        data = arguments[1] if len(arguments) > 1 else UNDEFINED
        extra_pd: dict[str, Any] = {}
        if data is None or data is UNDEFINED:
            ed = None
        elif isinstance(data, dict):
            ed = self.event_data(data, extra_pd, index)
        else:
            self.log("error", f"event data must be an object but got {_describe(data)}, so it is dropped", index)
            ed = None
        self.send("track", event, ed, extra_pd, index, label)

    def event_data(self, data: dict[str, Any], extra_pd: dict[str, Any], index: int) -> dict[str, Any]:
        """Apply the tag's changes to a shallow copy of `track`'s event data."""
        ed = {key: data[key] for key in own_keys(data) if data[key] is not UNDEFINED}
        if "value" in ed:
            number = numeric_value(ed["value"])
            if number is None:
                self.log("error", f"value {_describe(ed['value'])} is not numeric, so it is sent unchanged", index)
            else:
                ed["value"] = number
        if "order_quantity" in ed and numeric_value(ed["order_quantity"]) is None:
            self.log("error", f"order_quantity {_describe(ed['order_quantity'])} is not numeric", index)
        if "external_id" in ed:
            # NOTE: the moved external_id is modelled for this event only, not kept for later events.
            extra_pd["external_id"] = hash_identity(ed.pop("external_id"))
        for key, value in ed.items():
            if looks_like_email(value):
                ed[key] = hash_identity(value)
        return to_json_value(ed)

    def send(
        self, command: str, event: str | None, ed: dict[str, Any] | None, extra_pd: dict[str, Any], index: int, label: str
    ) -> None:
        if self.tid is None:
            self.log("error", f"{command} called before load: no tag id, so nothing is sent", index)
            return
        if not self.consent:
            return
        if not self.user_sent:
            # NOTE: the /user/ request is placed just before the first event. Its exact
            # moment and partner data in the real tag are reconstructed, not measured.
            self.user_sent = True
            self.events.append(
                ExpectedEvent(
                    endpoint="user",
                    event=None,
                    tid=self.tid,
                    ed=None,
                    pd=dict(self.partner_data),
                    command_index=index,
                    origin=label,
                    pd_origins=dict(self.pd_origins),
                    optional=True,
                    dep=PAGE_LOAD_DEP,
                    page=self.page,
                )
            )
        origins = dict(self.pd_origins)
        for key in extra_pd:
            origins[key] = f"{key} in the event data of {label}"
        self.events.append(
            ExpectedEvent(
                endpoint="v3",
                event=event,
                tid=self.tid,
                ed=ed,
                pd={**self.partner_data, **extra_pd},
                command_index=index,
                origin=label,
                pd_origins=origins,
                page=self.page,
            )
        )
