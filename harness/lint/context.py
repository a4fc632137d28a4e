"""The input of a lint run: requests, their page numbers, and the call log.

Event data and partner data come from the decoded JSON (`ed`, `pd`) or, for
the hand-written noscript fallback, from bracket keys such as `pd[em]` or
`ed[line_items][0][product_id]` kept in `params`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Iterator, Sequence

from harness.tag import PAGE_EVENT, STANDARD_EVENTS as TAG_STANDARD_EVENTS
from harness.wire import TagRequest

# Standard event names in a fixed order, so a misspelt name is matched the same way on every run.
STANDARD_EVENTS = tuple(sorted(TAG_STANDARD_EVENTS))

_BRACKET_KEY = re.compile(r"(?P<name>[^\[\]]+)(?P<path>(?:\[[^\[\]]*\])+)")
_BRACKET_STEP = re.compile(r"\[([^\[\]]*)\]")


def is_known_event(name: str) -> bool:
    """Tell whether the tag treats the name as a standard event or its own page event."""
    lowered = name.lower()
    return lowered in STANDARD_EVENTS or lowered == PAGE_EVENT


def event_name(request: TagRequest) -> str:
    """Return the event name for messages, `(none)` when the request has none."""
    return request.event if request.event else "(none)"


def bracket_object(params: dict[str, str], name: str) -> dict[str, Any] | None:
    """Collect bracket keys `name[a][b]=...` from the parameters into one object.

    Objects whose keys are all digits become lists (holes are None), as a
    bracket-key form parser builds them. Returns None when no key matches.
    """
    root: dict[str, Any] = {}
    for key, text in params.items():
        match = _BRACKET_KEY.fullmatch(key)
        if match is None or match["name"] != name:
            continue
        steps = _BRACKET_STEP.findall(match["path"])
        node = root
        for step in steps[:-1]:
            child = node.setdefault(step, {})
            if not isinstance(child, dict):
                break
            node = child
        else:
            node[steps[-1]] = text
    if not root:
        return None
    return _lists_from_digit_keys(root)


def _lists_from_digit_keys(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    converted = {key: _lists_from_digit_keys(item) for key, item in node.items()}
    if converted and all(key.isdigit() for key in converted):
        items: list[Any] = [None] * (max(int(key) for key in converted) + 1)
        for key, item in converted.items():
            items[int(key)] = item
        return items
    return converted


def event_data(request: TagRequest) -> dict[str, Any] | None:
    """Return the request's event data as an object, or None when it has none."""
    if isinstance(request.ed, dict):
        return request.ed
    return bracket_object(request.params, "ed")


def partner_data(request: TagRequest) -> dict[str, Any] | None:
    """Return the request's partner data as an object, or None when it has none."""
    if isinstance(request.pd, dict):
        return request.pd
    return bracket_object(request.params, "pd")


def page_location(request: TagRequest) -> str | None:
    """Return the page URL from `ad.loc` without its fragment, or None when absent."""
    if not isinstance(request.ad, dict):
        return None
    location = request.ad.get("loc")
    if not isinstance(location, str) or not location:
        return None
    return location.split("#", 1)[0]


def number_pages(requests: Sequence[TagRequest]) -> list[int]:
    """Number the page of each request, in capture order.

    A new page starts when `ad.loc` differs from the page URL seen last.
    Requests without `ad.loc` (`/user/`, noscript) stay on the current page.
    NOTE: a reload of the same URL stays on one page, and a single-page app's
    route change starts a new one, because requests carry no page-load id.
    """
    numbers = []
    page = 0
    current: str | None = None
    for request in requests:
        location = page_location(request)
        if location is not None:
            if current is not None and location != current:
                page += 1
            current = location
        numbers.append(page)
    return numbers


def command_name(command: Any) -> str | None:
    """Return a call-log command's name, trimmed and lowercased as the tag does."""
    if isinstance(command, (list, tuple)) and command and isinstance(command[0], str):
        return command[0].strip().lower()
    return None


def split_call_log(call_log: Sequence[Any] | None) -> list[list[Any]]:
    """Return the call log as a list of pages, each a list of commands.

    A call log is either one page's commands (`[["load", "1"], ["page"]]`)
    or a list of pages (`[[["load", "1"]], [["load", "1"], ["page"]]]`).
    """
    if not call_log:
        return []
    entries = list(call_log)
    is_pages = all(
        isinstance(entry, (list, tuple)) and all(isinstance(item, (list, tuple)) for item in entry) for entry in entries
    )
    if is_pages:
        return [list(entry) for entry in entries]
    return [entries]


@dataclass
class LintContext:
    """The input of one lint run, with the page numbers worked out once."""

    requests: Sequence[TagRequest]
    call_log_pages: list[list[Any]]
    pages: list[int] = field(init=False)

    def __post_init__(self) -> None:
        self.pages = number_pages(self.requests)

    def events(self) -> Iterator[tuple[int, TagRequest]]:
        """Yield (index, request) for each `/v3/` event request."""
        for index, request in enumerate(self.requests):
            if request.endpoint == "v3":
                yield index, request

    def events_with_data(self) -> Iterator[tuple[int, TagRequest, dict[str, Any]]]:
        """Yield (index, request, event data) for each `/v3/` event that has event data."""
        for index, request in self.events():
            data = event_data(request)
            if data is not None:
                yield index, request, data
