"""Read a HAR 1.2 file, as Chrome DevTools exports it, and yield its Pinterest requests decoded.

The file is parsed as a stream of JSON events with ijson, and only the few
fields a request needs are kept, so memory stays bounded by the largest
single entry field rather than the file size. Files nested more than
MAX_HAR_DEPTH levels are rejected.
"""

from __future__ import annotations

import os
from datetime import datetime
from typing import IO, Any, Iterator

import ijson

from harness.wire import TagRequest, decode_request, is_pinterest_host, split_url

_ENTRY = "log.entries.item"
# Entry fields to keep, by ijson prefix. The names are HAR 1.2's.
_FIELDS = {
    f"{_ENTRY}.startedDateTime": "startedDateTime",
    f"{_ENTRY}.request.method": "request.method",
    f"{_ENTRY}.request.url": "request.url",
    f"{_ENTRY}.request.postData.mimeType": "request.postData.mimeType",
    f"{_ENTRY}.request.postData.text": "request.postData.text",
}
# Values that must be objects, by ijson prefix.
_OBJECTS = {
    "log": "log",
    f"{_ENTRY}.request": "request",
    f"{_ENTRY}.request.postData": "request.postData",
}
_REQUIRED = ("request.url", "request.method")
# ijson events that start a value, with the JSON type they start.
_VALUE_TYPES = {
    "start_map": "an object",
    "start_array": "an array",
    "string": "a string",
    "number": "a number",
    "boolean": "a boolean",
    "null": "null",
}
_EXPORT_AGAIN = "export the HAR again from the browser's network panel"


class HarError(Exception):
    """A HAR file that cannot be read; the message names the file and what is wrong."""


_BYTE_ORDER_MARK = b"\xef\xbb\xbf"
# A browser's HAR nests roughly ten levels (an estimate), plus one per async parent when
# Chrome records call stacks in `_initiator`. NOTE: 100 is not checked against such stacks.
MAX_HAR_DEPTH = 100
_READ_BUFFER = 4096


def read_har(source: str | os.PathLike[str] | IO[bytes] | IO[str]) -> Iterator[TagRequest]:
    """Yield a TagRequest for every request to a Pinterest host in a HAR file, in file order.

    `source` is a path or an open file (binary or text). Raises HarError
    when the file cannot be opened or is not a valid HAR, possibly after
    some requests have been yielded.
    """
    if isinstance(source, (str, os.PathLike)):
        name = os.fspath(source)
        try:
            stream = open(name, "rb")
        except OSError as error:
            raise HarError(f"{name}: cannot open the HAR file ({error.strerror})") from error
        with stream:
            yield from _read_stream(stream, name)
        return

    name = str(getattr(source, "name", "<stream>"))
    if isinstance(source.read(0), str):
        source = _EncodingReader(source)
    yield from _read_stream(source, name)


class _EncodingReader:
    """A binary view of a text stream, for ijson, which parses bytes."""

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream

    def read(self, size: int = -1) -> bytes:
        # surrogatepass lets a lone surrogate through as bytes that ijson
        # then rejects as invalid UTF-8, which becomes a HarError.
        return self._stream.read(size).encode("utf-8", "surrogatepass")


def _read_stream(stream: Any, name: str) -> Iterator[TagRequest]:
    try:
        if hasattr(stream, "peek") and stream.peek(3)[:3] == _BYTE_ORDER_MARK:
            stream.read(3)  # ijson rejects a byte-order mark
        # ijson parses a whole read buffer before _entries checks the depth, and each event carries
        # its full prefix. A small buffer keeps that work small in a deeply nested file.
        for index, entry in _entries(ijson.parse(stream, buf_size=_READ_BUFFER), name):
            request = _decode_entry(entry, f"{name}: log.entries[{index}]")
            if request is not None:
                yield request
    except ijson.JSONError as error:
        raise HarError(f"{name}: invalid JSON ({_describe_json_error(error)}); {_EXPORT_AGAIN}") from error
    except OSError as error:
        raise HarError(f"{name}: cannot read the HAR file ({error.strerror or error})") from error


def _entries(events: Iterator[tuple[str, str, Any]], name: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield the index and the kept fields of each entry of log.entries, checking the structure on the way."""
    first = next(events, None)
    if first is None or first[1] != "start_map":
        raise HarError(f"{name}: not a HAR file, because the top level is not a JSON object; {_EXPORT_AGAIN}")

    seen_entries = False
    index = -1
    entry: dict[str, Any] = {}
    depth = 1
    for prefix, event, value in events:
        if event == "start_map" or event == "start_array":
            depth += 1
            if depth > MAX_HAR_DEPTH:
                where = f"log.entries[{index}]" if index >= 0 else "the file"
                raise HarError(f"{name}: {where} is nested more than {MAX_HAR_DEPTH} levels deep, too deep for a browser's HAR; {_EXPORT_AGAIN}")
        elif event == "end_map" or event == "end_array":
            depth -= 1
        field = _FIELDS.get(prefix)
        if field is not None:
            if event == "string":
                entry[field] = value
            elif event != "null":
                raise _wrong_type(name, f"log.entries[{index}].{field}", event, "a string")
        elif prefix == _ENTRY:
            if event == "start_map":
                index += 1
                entry = {}
            elif event == "end_map":
                _check_entry(entry, f"{name}: log.entries[{index}]")
                yield index, entry
            elif event != "map_key":
                raise _wrong_type(name, f"log.entries[{index + 1}]", event, "an object")
        elif prefix == "log.entries":
            if event in _VALUE_TYPES and event != "start_array":
                raise _wrong_type(name, "log.entries", event, "an array")
            seen_entries = True
        elif prefix in _OBJECTS and event in _VALUE_TYPES and event != "start_map":
            where = "log" if prefix == "log" else f"log.entries[{index}].{_OBJECTS[prefix]}"
            raise _wrong_type(name, where, event, "an object")

    if not seen_entries:
        raise HarError(f"{name}: not a HAR file, because log.entries is missing; {_EXPORT_AGAIN}")


def _wrong_type(name: str, where: str, event: str, expected: str) -> HarError:
    return HarError(f"{name}: {where} is {_VALUE_TYPES[event]}, expected {expected}; {_EXPORT_AGAIN}")


def _check_entry(entry: dict[str, Any], where: str) -> None:
    for field in _REQUIRED:
        if field not in entry:
            raise HarError(f"{where}.{field} is missing; {_EXPORT_AGAIN}")


def _decode_entry(entry: dict[str, Any], where: str) -> TagRequest | None:
    """Decode an entry whose request goes to a Pinterest host, or return None for any other host."""
    url = entry["request.url"]
    host = split_url(url)[0]
    if not is_pinterest_host(host):
        return None
    request = decode_request(
        url,
        entry["request.method"],
        entry.get("request.postData.text"),
        entry.get("request.postData.mimeType"),
    )
    started = entry.get("startedDateTime")
    if started is not None:
        request.time = _parse_time(started, where)
    return request


def _parse_time(text: str, where: str) -> float:
    try:
        return datetime.fromisoformat(text).timestamp()
    except ValueError as error:
        raise HarError(
            f"{where}.startedDateTime is {text!r}, not an ISO 8601 date and time; {_EXPORT_AGAIN}"
        ) from error


def _describe_json_error(error: ijson.JSONError) -> str:
    """Return the first line of ijson's message and the text it points at."""
    message = error.args[0] if error.args else ""
    if isinstance(message, bytes):
        message = message.decode("utf-8", "replace")
    lines = [line.strip() for line in str(message).splitlines()]
    lines = [line for line in lines if line and not line.startswith("(right here)")]
    if not lines:
        return type(error).__name__
    if "premature EOF" in lines[0]:
        return "the file ends inside the JSON, so it is probably truncated"
    if len(lines) >= 2:
        if "@" in lines[1] or "%40" in lines[1]:
            # ijson cuts the text at a fixed width, so an address in it may be cut short,
            # and the email masking recognises only whole addresses.
            return f"{lines[0].rstrip('.')} (the text there holds an email address, not shown)"
        return f"{lines[0].rstrip('.')} near {lines[1]!r}"
    return lines[0]
