"""Findings, rules, and the masking that keeps plain emails out of both."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Iterable

from harness.jsvalue import to_json_value

if TYPE_CHECKING:
    from harness.lint.context import LintContext

SEVERITIES = ("error", "warning", "info")

# Wide on purpose: anything shaped like local@domain.tld is masked, even when
# it is not a valid address, because a false mask costs nothing.
_EMAIL = re.compile(r"(?P<local>[^\s@\"'<>(),;:\[\]{}]+)@(?P<domain>[^\s@\"'<>(),;:\[\]{}]+\.[^\s@\"'<>(),;:\[\]{}]+)")

_MAX_SHOWN_CHARS = 80


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


def mask_email(text: str) -> str:
    """Replace every email in the text by its first character, `***` and the domain."""
    return _EMAIL.sub(lambda match: f"{match['local'][0]}***@{match['domain']}", text)


def mask_emails(value: Any) -> Any:
    """Return a copy of a JSON-like value with every email in its strings and keys masked."""
    if isinstance(value, str):
        return mask_email(value)
    if isinstance(value, dict):
        return {mask_email(str(key)): mask_emails(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [mask_emails(item) for item in value]
    return value


def show(value: Any) -> str:
    """Write a value for a message as compact JSON, emails masked, long text cut."""
    try:
        text = json.dumps(to_json_value(mask_emails(value)), ensure_ascii=False, separators=(", ", ": "))
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
