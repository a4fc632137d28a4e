"""Decode one HTTP request to Pinterest's tag endpoints into a TagRequest.

Pure: takes a URL, a method and a body, returns data, and never raises on
bad input. Every problem is attached to the result with the raw value kept.
"""

from __future__ import annotations

import json
import re
import string
from dataclasses import dataclass, field
from typing import Any

from harness.urlencoded import parse_fields, percent_decode

# INTERFACE: other modules rely on TagRequest's fields and on decode_request's signature.


@dataclass
class TagRequest:
    """One request as the tag sent it, decoded.

    `endpoint` is "v3" (events), "user" (identity and configuration) or
    "other" (any other path on a Pinterest host, or any non-Pinterest host;
    `pinterest` tells the two apart). `ed`, `pd` and `ad` hold decoded JSON,
    or None when absent or undecodable (then `raw` keeps the text and
    `problems` says why). `params` keeps every other parameter as sent.
    """

    method: str
    url: str
    endpoint: str
    pinterest: bool
    event: str | None = None
    tid: str | None = None
    ed: Any = None
    pd: Any = None
    ad: Any = None
    cb: int | None = None
    params: dict[str, str] = field(default_factory=dict)
    raw: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    transport: str = "get"  # "get", "form" (long-event form POST), "fetch" (doubly-encoded body), "noscript"
    time: float | None = None  # seconds since the epoch when captured, if known

    def to_json(self) -> dict[str, Any]:
        """Return the object `decode --json` prints for this request."""
        return {
            "endpoint": self.endpoint,
            "method": self.method,
            "event": self.event,
            "tid": self.tid,
            "ed": self.ed,
            "pd": self.pd,
            "ad": self.ad,
            "cb": self.cb,
            "params": dict(self.params),
            "problems": list(self.problems),
            "raw": dict(self.raw),
            "url": self.url,
            "transport": self.transport,
        }


# The tag sends its requests to this host only.
TAG_HOST = "ct.pinterest.com"

# Hosts counted as Pinterest's: these domains and their subdomains, which
# include the tag host and s.pinimg.com (the tag script). Requests to them
# that are not tag endpoints decode with endpoint "other" and no problem.
# NOTE: Pinterest's country domains (pinterest.de, pinterest.co.uk, ...)
# are not listed, because the tag does not send to them.
PINTEREST_DOMAINS = ("pinterest.com", "pinimg.com")
_SUBDOMAIN_SUFFIXES = tuple("." + domain for domain in PINTEREST_DOMAINS)

_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*\Z")
_ENDPOINTS = {"/v3": "v3", "/v3/": "v3", "/user": "user", "/user/": "user"}
_JSON_FIELDS = ("ed", "pd", "ad")
# Content types decoded as form fields. A fetch() with a string body sends text/plain.
_FORM_MEDIA_TYPES = ("", "application/x-www-form-urlencoded", "text/plain")
_HASH_LENGTHS = (32, 40, 64)
# The standard HTTP methods. The tag itself sends GET and POST.
HTTP_METHODS = ("GET", "POST", "HEAD", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE")
_JSON_TYPE_NAMES = {list: "an array", str: "a string", int: "a number", float: "a number", bool: "a boolean"}


def split_url(url: str) -> tuple[str, str, str]:
    """Split an absolute URL into its lowercase host, its path and its query.

    The host is "" when the URL has none. It replaces urllib.parse.urlsplit,
    which took about 7 microseconds on a long tag URL in the decoder benchmark.
    NOTE: unlike a browser, this keeps tabs and newlines inside the URL
    instead of removing them; captured URLs contain none.
    """
    url = url.strip()
    if url.startswith("//"):
        rest = url[2:]
    else:
        scheme, separator, rest = url.partition("://")
        if not separator or _SCHEME.match(scheme) is None:
            return "", "", ""
    rest = rest.partition("#")[0]
    before_query, _, query = rest.partition("?")
    if "\\" in before_query:
        # Browsers read a backslash before the query as a slash, so
        # `https://evil.example\@ct.pinterest.com/` goes to evil.example.
        before_query = before_query.replace("\\", "/")
    slash = before_query.find("/")
    if slash < 0:
        authority, path = before_query, ""
    else:
        authority, path = before_query[:slash], before_query[slash:]
    host = authority.rpartition("@")[2]
    if host.startswith("["):
        host = host.partition("]")[0] + "]"
    else:
        host = host.partition(":")[0]
    return host.lower().rstrip("."), path, query


def is_pinterest_host(host: str) -> bool:
    """Tell whether a lowercase host name belongs to Pinterest (see PINTEREST_DOMAINS)."""
    return host.endswith(_SUBDOMAIN_SUFFIXES) or host in PINTEREST_DOMAINS


def decode_request(url: str, method: str = "GET", body: str | bytes | None = None, content_type: str | None = None) -> TagRequest:
    """Decode one request to a TagRequest. Never raises, whatever the input.

    Parameters come from the query string and, when `body` is not empty, from
    the form-encoded body. Requests to hosts that are not Pinterest's get
    endpoint "other", one problem and no decoded parameters.
    """
    problems: list[str] = []
    if not isinstance(url, str):
        url = _to_text(url, "URL", problems)
    if not isinstance(method, str):
        method = _to_text(method, "method", problems)
    method = method.strip().upper()
    if method not in HTTP_METHODS:
        problems.append(f"method: {_excerpt(method)} is not an HTTP method (expected {', '.join(HTTP_METHODS)})")
    request = TagRequest(method=method, url=url, endpoint="other", pinterest=False, problems=problems)

    host, path, query = split_url(url)
    if not host:
        problems.append("URL: no host; expected an absolute URL such as https://ct.pinterest.com/v3/?...")
        return request
    if not is_pinterest_host(host):
        problems.append(f"host: {host} is not a Pinterest host; nothing was decoded")
        return request

    request.pinterest = True
    if host == TAG_HOST:
        request.endpoint = _ENDPOINTS.get(path, "other")

    fields, field_problems = parse_fields(query)
    problems.extend(field_problems)
    if body:
        fields += _decode_body(request, body, content_type)
    _assign_fields(request, fields)
    if request.endpoint != "other":
        _check_tag_fields(request)
    return request


def _to_text(value: Any, label: str, problems: list[str]) -> str:
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, (bytes, bytearray, memoryview)):
        data = bytes(value)
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as error:
            problems.append(
                f"{label}: not valid UTF-8 (byte 0x{data[error.start]:02x} at byte {error.start}); "
                "decoded with U+FFFD in place of the invalid bytes"
            )
            return data.decode("utf-8", "replace")
    return str(value)


def _decode_body(request: TagRequest, body: Any, content_type: Any) -> list[tuple[str, str]]:
    """Return the fields of a form-encoded body and set the request's transport."""
    text = _to_text(body, "body", request.problems)
    media_type = _to_text(content_type, "content type", request.problems).partition(";")[0].strip().lower()
    if media_type not in _FORM_MEDIA_TYPES:
        request.problems.append(
            f"body: content type {media_type!r} is not decoded; the tag sends form-encoded bodies"
        )
        return []

    fields, problems = parse_fields(text)
    request.problems.extend(problems)
    request.transport = "form"
    # The fetch() transport encodes values twice, so after one decoding its
    # JSON fields still start with an encoded `{`.
    if not any(name in _JSON_FIELDS and value[:3].upper() == "%7B" for name, value in fields):
        return fields

    request.transport = "fetch"
    decoded = []
    for name, value in fields:
        value, value_problems = percent_decode(value)
        for problem in value_problems:
            request.problems.append(f"{name}: {problem} (second decoding of the fetch body)")
        decoded.append((name, value))
    return decoded


def _assign_fields(request: TagRequest, fields: list[tuple[str, str]]) -> None:
    values = dict(fields)
    if len(values) < len(fields):
        values = _first_values(request, fields)

    request.tid = values.pop("tid", None)
    request.event = values.pop("event", None)
    for name in _JSON_FIELDS:
        text = values.pop(name, None)
        if text is not None:
            setattr(request, name, _parse_json(request, name, text))
    cb_text = values.pop("cb", None)
    if cb_text is not None:
        request.cb = _parse_cb(request, cb_text)

    bracket_names = [name for name in values if name[-1:] == "]"]
    if bracket_names:
        _assign_bracket_keys(request, values, bracket_names, fields)
    request.params = values
    if values.get("noscript") == "1":
        request.transport = "noscript"


def _first_values(request: TagRequest, fields: list[tuple[str, str]]) -> dict[str, str]:
    """Map each name to its first value and report the names given more than once."""
    values: dict[str, str] = {}
    counts: dict[str, int] = {}
    for name, value in fields:
        values.setdefault(name, value)
        counts[name] = counts.get(name, 0) + 1
    for name, count in counts.items():
        if count > 1:
            request.problems.append(f"{name}: given {count} times; the first value is used")
    return values


def _assign_bracket_keys(
    request: TagRequest, values: dict[str, str], bracket_names: list[str], fields: list[tuple[str, str]]
) -> None:
    """Build ed, pd or ad from noscript bracket keys such as `pd[em]=...`.

    A bracket key whose object was also sent as JSON, a nested key (`pd[a][b]`)
    and a key of another parameter stay in `values` as they were sent.
    """
    objects: dict[str, dict[str, str]] = {}
    for name in bracket_names:
        base, _, key = name[:-1].partition("[")
        if base not in _JSON_FIELDS or not key:
            continue
        if "[" in key or "]" in key:
            request.problems.append(f"{name}: nested bracket keys are not decoded; kept in params")
            continue
        objects.setdefault(base, {})[key] = values.pop(name)

    sent_as_json = {name for name, _ in fields if name in _JSON_FIELDS}
    for base, members in objects.items():
        if base not in sent_as_json:
            setattr(request, base, members)
            continue
        request.problems.append(
            f"{base}: given both as JSON and as bracket keys ({base}[...]); the JSON is used "
            "and the bracket keys are kept in params"
        )
        for key, value in members.items():
            values[f"{base}[{key}]"] = value
    if objects:
        request.transport = "noscript"


def _reject_constant(name: str) -> Any:
    # Python's json accepts NaN and Infinity, but JSON has neither, so the tag never sends them.
    raise ValueError(f"{name} is not a JSON value")


_JSON_DECODER = json.JSONDecoder(parse_constant=_reject_constant)


def _decode_json(text: str) -> Any:
    # raw_decode took about 40% less time than decode() on the tag's compact
    # JSON, because decode() first skips whitespace with a regular expression.
    # decode() still handles surrounding whitespace and raises the error to report.
    try:
        value, end = _JSON_DECODER.raw_decode(text)
    except json.JSONDecodeError:
        return _JSON_DECODER.decode(text)
    if end != len(text):
        return _JSON_DECODER.decode(text)
    return value


def _parse_json(request: TagRequest, name: str, text: str) -> Any:
    try:
        value = _decode_json(text)
    except json.JSONDecodeError as error:
        problem = f"{name}: invalid JSON ({error.msg} at character {error.pos})"
        if text[:3].upper() == "%7B":
            problem += "; it looks percent-encoded twice"
    except ValueError as error:
        # NaN and Infinity, or an integer longer than Python converts.
        problem = f"{name}: invalid JSON ({error})"
    except RecursionError:
        problem = f"{name}: JSON nested too deeply to decode"
    else:
        if type(value) is not dict:
            request.problems.append(f"{name}: JSON is {_JSON_TYPE_NAMES.get(type(value), 'null')}, expected an object")
        return value

    request.raw[name] = text
    request.problems.append(f"{problem}; the text is kept in raw")
    return None


def _parse_cb(request: TagRequest, text: str) -> int | None:
    digits = text[1:] if text[:1] == "-" else text
    if digits.isascii() and digits.isdigit() and len(digits) <= 30:
        return int(text)
    request.raw["cb"] = text
    request.problems.append(f"cb: expected an integer (milliseconds since the epoch), got {_excerpt(text)}")
    return None


def _check_tag_fields(request: TagRequest) -> None:
    """Report what a tag request to /v3/ or /user/ should carry but does not."""
    if request.tid is None:
        request.problems.append("tid: missing; every tag request carries the tag id")
    elif not request.tid:
        request.problems.append("tid: empty")

    if request.event == "":
        request.problems.append("event: empty")
    elif request.event is None and request.endpoint == "v3":
        request.problems.append("event: missing; the tag leaves it out when track() is called without a name")

    email = request.pd.get("em") if isinstance(request.pd, dict) else None
    if isinstance(email, str) and not is_hash(email):
        if "@" in email:
            request.problems.append("pd.em: a plain email address; the tag sends em as a SHA-256 hash")
        else:
            request.problems.append("pd.em: not a hash (expected 32, 40 or 64 hex digits)")


def is_hash(text: str) -> bool:
    """Tell whether text is 32, 40 or 64 hex digits, which the tag keeps as an already hashed value."""
    return len(text) in _HASH_LENGTHS and text.isascii() and not text.strip(string.hexdigits)


def _excerpt(text: str) -> str:
    """Quote a value for a problem message: shortened, and hidden if it may be an email address."""
    if "@" in text:
        return f"a value of {len(text)} characters (not shown: it contains '@')"
    if len(text) > 40:
        return f"{text[:40]!r}... ({len(text)} characters)"
    return repr(text)
