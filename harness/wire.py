"""Decode one HTTP request to Pinterest's tag endpoints into a TagRequest.

Pure: takes a URL, a method and a body, returns data, and never raises on
bad input. Every problem is attached to the result with the raw value kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# INTERFACE (shared by every module; the decoder body is filled in separately).


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
            "url": self.url,
            "transport": self.transport,
        }


def decode_request(url: str, method: str = "GET", body: str | bytes | None = None, content_type: str | None = None) -> TagRequest:
    """Decode one request; never raises."""
    raise NotImplementedError
