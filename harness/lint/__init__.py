"""Lint decoded Pinterest tag requests for data that Pinterest cannot use as meant.

Pure: takes decoded requests (and optionally the page's pintrk call log) and
returns findings. Event rules read `/v3/` requests only; the tag id rule also
reads `/user/` requests. Each rule is documented in docs/lint-rules.md.

    findings = lint(requests, call_log=[["load", "123"], ["page"]], disabled={"event-name-space"})
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from harness.lint.context import LintContext, split_call_log
from harness.email_mask import mask_emails
from harness.lint.findings import SEVERITIES, SHOWN_HASH_DIGITS, Finding, Rule
from harness.lint.render import findings_to_json, format_finding, render_text
from harness.lint.rules import RULES, RULES_BY_ID
from harness.wire import TagRequest

__all__ = [
    "RULES",
    "RULES_BY_ID",
    "SEVERITIES",
    "Finding",
    "Rule",
    "findings_to_json",
    "format_finding",
    "lint",
    "render_text",
    "validate_rule_ids",
]


def validate_rule_ids(rule_ids: Collection[str]) -> None:
    """Raise ValueError naming each id that is not a lint rule, with the known ids."""
    if isinstance(rule_ids, str):
        raise TypeError(f"rule ids must be a collection of ids, not the string {rule_ids!r}: wrap it in a set")
    unknown = sorted(set(rule_ids) - RULES_BY_ID.keys())
    if unknown:
        noun = "id" if len(unknown) == 1 else "ids"
        named = ", ".join(repr(rule_id) for rule_id in unknown)
        known = ", ".join(rule.id for rule in RULES)
        raise ValueError(f"unknown lint rule {noun} {named}; known rule ids: {known}")


def lint(
    requests: Sequence[TagRequest],
    call_log: Sequence[Any] | None = None,
    disabled: Collection[str] | None = None,
) -> list[Finding]:
    """Run every rule not in `disabled` and return the findings.

    `call_log` contains the pintrk commands as lists (`["load", "123"]`), either
    for one page or as a list of pages. Findings come page-level first (no
    request index), then by request index, then in rule order. Plain emails
    in messages and values are masked. Raises ValueError for an unknown id in
    `disabled`.
    """
    disabled = frozenset() if disabled is None else disabled
    validate_rule_ids(disabled)
    context = LintContext(requests=requests, call_log_pages=split_call_log(call_log))

    findings = []
    for rule in RULES:
        if rule.id in disabled:
            continue
        for request_index, message, value in rule.check(context):
            findings.append(Finding(rule.id, rule.severity, mask_emails(message, SHOWN_HASH_DIGITS), request_index, mask_emails(value, SHOWN_HASH_DIGITS)))

    findings.sort(key=lambda finding: (finding.request_index is not None, finding.request_index or 0))
    return findings
