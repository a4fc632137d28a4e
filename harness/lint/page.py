"""Rules across the requests of a page and its call log: tag ids, load order, event ids."""

from __future__ import annotations

from typing import Any, Iterator

from harness.jsvalue import UNDEFINED, to_js_string
from harness.lint.context import LintContext, command_name, event_data, event_name
from harness.lint.findings import Hit, show

# Commands that send an event and need the tag id that `load` sets.
EVENT_COMMANDS = ("page", "track")


def join_and(parts: list[str]) -> str:
    """Join parts as "a", "a and b", "a, b and c"."""
    if len(parts) == 1:
        return parts[0]
    return f"{', '.join(parts[:-1])} and {parts[-1]}"


def _positions(noun: str, positions: list[int]) -> str:
    plural = noun if len(positions) == 1 else f"{noun}s"
    return f"{plural} {', '.join(str(position) for position in positions)}"


def _group(pairs: list[tuple[str, int]]) -> dict[str, list[int]]:
    """Group positions by key, keys in the order first seen."""
    groups: dict[str, list[int]] = {}
    for key, position in pairs:
        groups.setdefault(key, []).append(position)
    return groups


def _call_log_where(context: LintContext, page: int) -> str:
    return f"call-log page {page}: " if len(context.call_log_pages) > 1 else ""


def check_tag_id_conflict_in_call_log(context: LintContext) -> Iterator[Hit]:
    """Find pages whose call log loads the tag with different tag ids."""
    for page, commands in enumerate(context.call_log_pages):
        loads = [
            (to_js_string(command[1]), position)
            for position, command in enumerate(commands)
            if command_name(command) == "load" and len(command) > 1 and command[1] not in (None, UNDEFINED)
        ]
        groups = _group(loads)
        if len(groups) > 1:
            listed = join_and([f"{show(tag_id)} ({_positions('call', positions)})" for tag_id, positions in groups.items()])
            last_id = loads[-1][0]
            message = f"{_call_log_where(context, page)}load called with tag ids {listed}: the tag keeps only the last, {show(last_id)}"
            yield None, message, list(groups)


def check_tag_id_conflict_in_requests(context: LintContext) -> Iterator[Hit]:
    """Find pages whose requests carry different tag ids."""
    by_page: dict[int, list[tuple[str, int]]] = {}
    for index, request in enumerate(context.requests):
        if request.endpoint in ("v3", "user") and request.tid:
            by_page.setdefault(context.pages[index], []).append((request.tid, index))
    for pairs in by_page.values():
        groups = _group(pairs)
        if len(groups) > 1:
            first_id = pairs[0][0]
            first_other = next(index for tag_id, index in pairs if tag_id != first_id)
            listed = join_and([f"{show(tag_id)} ({_positions('request', indexes)})" for tag_id, indexes in groups.items()])
            yield first_other, f"one page sent tag ids {listed}", list(groups)


def check_tag_id_conflict(context: LintContext) -> Iterator[Hit]:
    """Find different tag ids on one page, in the call log or in the requests."""
    yield from check_tag_id_conflict_in_call_log(context)
    yield from check_tag_id_conflict_in_requests(context)


def _describe_command(command: list[Any]) -> str:
    arguments = [show(command[0])]
    if command_name(command) == "track" and len(command) > 1:
        arguments.append(show(command[1]))
    return f"({', '.join(arguments)})"


def check_event_before_load(context: LintContext) -> Iterator[Hit]:
    """Find page and track calls made before the page's first load call."""
    for page, commands in enumerate(context.call_log_pages):
        for position, command in enumerate(commands):
            name = command_name(command)
            if name == "load":
                break
            if name in EVENT_COMMANDS:
                # NOTE: that the tag sends nothing is known for page; for track it
                # follows from every request needing the tag id that load sets.
                where = _call_log_where(context, page)
                message = f"{where}pintrk call {position} {_describe_command(command)} comes before any load: the tag sends no event for it"
                yield None, message, list(command[:2])


def _event_ids(context: LintContext) -> dict[str, list[int]]:
    """Map each event id, as a string, to the `/v3/` requests that carry it."""
    pairs = []
    for index, request in context.events():
        data = event_data(request)
        if data is None or data.get("event_id") in (None, ""):
            continue
        pairs.append((to_js_string(data["event_id"]), index))
    return _group(pairs)


def check_event_id_reused(context: LintContext) -> Iterator[Hit]:
    """Find one event id on different events, or on two requests of one page."""
    for event_id, indexes in _event_ids(context).items():
        # Standard names compare case-insensitively, so "Checkout" and "checkout" are one event.
        names = _group([(event_name(context.requests[index]).lower(), index) for index in indexes])
        if len(names) > 1:
            listed = join_and(
                [
                    f"{show(event_name(context.requests[positions[0]]))} ({_positions('request', positions)})"
                    for positions in names.values()
                ]
            )
            first_other = list(names.values())[1][0]
            yield first_other, f"event_id {show(event_id)} is used by events {listed}", event_id
            continue
        name = event_name(context.requests[indexes[0]])
        by_page = _group([(str(context.pages[index]), index) for index in indexes])
        for positions in by_page.values():
            if len(positions) > 1:
                message = (
                    f"event_id {show(event_id)} is used by {len(positions)} {show(name)} events "
                    f"on one page ({_positions('request', positions)})"
                )
                yield positions[1], message, event_id
