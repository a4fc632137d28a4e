"""Rules on the event names of `/v3/` events."""

from __future__ import annotations

import re
from typing import Iterator

from harness.lint.context import STANDARD_EVENTS, LintContext, is_known_event
from harness.lint.findings import Hit, show

_SEPARATORS = re.compile(r"[\s_\-]+")


def normalise_event_name(name: str) -> str:
    """Lowercase a name and remove spaces, underscores and hyphens."""
    return _SEPARATORS.sub("", name).lower()


def within_one_edit(first: str, second: str) -> bool:
    """Tell whether two strings differ by at most one insertion, deletion,
    substitution, or swap of two adjacent characters."""
    if first == second:
        return True
    if abs(len(first) - len(second)) > 1:
        return False
    if len(first) > len(second):
        first, second = second, first
    prefix = 0
    while prefix < len(first) and first[prefix] == second[prefix]:
        prefix += 1
    if len(first) < len(second):
        return first[prefix:] == second[prefix + 1 :]
    if first[prefix + 1 :] == second[prefix + 1 :]:
        return True
    swapped = prefix + 1 < len(first) and first[prefix] == second[prefix + 1] and first[prefix + 1] == second[prefix]
    return swapped and first[prefix + 2 :] == second[prefix + 2 :]


def closest_standard_event(name: str) -> str | None:
    """Return the standard event a partner-defined name seems to misspell, or None."""
    if is_known_event(name):
        return None
    normalised = normalise_event_name(name)
    for standard in STANDARD_EVENTS:
        if normalised == standard:
            return standard
    for standard in STANDARD_EVENTS:
        if within_one_edit(normalised, standard):
            return standard
    return None


def check_event_name_missing(context: LintContext) -> Iterator[Hit]:
    """Find `/v3/` requests without an event name."""
    for index, request in context.events():
        if not request.event:
            yield index, "request has no event name", request.event


def check_event_name_misspelt(context: LintContext) -> Iterator[Hit]:
    """Find partner-defined event names that look like a misspelt standard event."""
    for index, request in context.events():
        if not request.event:
            continue
        standard = closest_standard_event(request.event)
        if standard is not None:
            message = f"event {show(request.event)} is sent as a partner-defined event: did you mean {show(standard)}?"
            yield index, message, request.event


def check_event_name_space(context: LintContext) -> Iterator[Hit]:
    """Find partner-defined event names that contain spaces."""
    for index, request in context.events():
        if request.event and not is_known_event(request.event) and re.search(r"\s", request.event):
            yield index, f"partner-defined event {show(request.event)} contains spaces", request.event
