"""Findings as text lines and as JSON-ready objects."""

from __future__ import annotations

from typing import Any, Iterable

from harness.lint.findings import Finding


def format_finding(finding: Finding) -> str:
    """Write one finding as `requests[3]: error: message [rule-id]`, indexing the list given to lint()."""
    where = "" if finding.request_index is None else f"requests[{finding.request_index}]: "
    return f"{where}{finding.severity}: {finding.message} [{finding.rule_id}]"


def render_text(findings: Iterable[Finding]) -> list[str]:
    """Write each finding as one line of text."""
    return [format_finding(finding) for finding in findings]


def findings_to_json(findings: Iterable[Finding]) -> list[dict[str, Any]]:
    """Return the findings as a list of JSON-ready objects."""
    return [finding.to_json() for finding in findings]
