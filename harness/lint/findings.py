"""Findings and rules. Emails in both are written as their SHA-256, masked by harness.email_mask."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Iterable

from harness.email_mask import mask_emails
from harness.jsvalue import to_json_value

if TYPE_CHECKING:
    from harness.lint.context import LintContext

SEVERITIES = ("error", "warning", "info")

_MAX_SHOWN_CHARS = 80
# Leading hex digits of an email's SHA-256 written in a message in place of the address.
SHOWN_HASH_DIGITS = 8


@dataclass(frozen=True)
class Finding:
    """One problem in the tag data: which rule, how bad, where, and the value at fault."""

    rule_id: str
    severity: str
    message: str
    request_index: int | None
    value: Any

    def to_json(self) -> dict[str, Any]:
        """Return the finding as a JSON-ready object."""
        return {
            "rule_id": self.rule_id,
            "severity": self.severity,
            "message": self.message,
            "request_index": self.request_index,
            "value": to_json_value(self.value),
        }


# One problem found by a check: request index (None for a page-level or
# call-log problem), message, offending value. The runner adds the rule id
# and severity, so they are set in one place.
Hit = tuple[int | None, str, Any]


@dataclass(frozen=True)
class Rule:
    """A lint rule: its id, severity, one-line summary, and the check that finds hits."""

    id: str
    severity: str
    summary: str
    check: Callable[["LintContext"], Iterable[Hit]]


def show(value: Any) -> str:
    """Write a value for a message as compact JSON, emails masked, long text cut."""
    try:
        text = json.dumps(to_json_value(mask_emails(value, SHOWN_HASH_DIGITS)), ensure_ascii=False, separators=(", ", ": "))
    except (TypeError, ValueError):
        text = repr(value)
    if len(text) > _MAX_SHOWN_CHARS:
        text = text[: _MAX_SHOWN_CHARS - 3] + "..."
    return text


def js_type_name(value: Any) -> str:
    """Name a JSON value's type as a JavaScript programmer would, with an article."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return "an object"
