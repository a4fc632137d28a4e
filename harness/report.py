"""Reports of a check: the terminal (rich), JSON and JUnit XML.

Every writer takes its stream or path as a parameter. No report shows a
plain email address: identity values appear as their SHA-256, and every
string passes through the same masking before it is written.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ElementTree
from pathlib import Path
from typing import Any, TextIO

from rich.console import Console
from rich.table import Table
from rich.text import Text

from harness.capture.records import mask_emails
from harness.check import CheckResult
from harness.compare import show
from harness.lint import findings_to_json
from harness.matching import Verdict
from harness.tag import ExpectedEvent
from harness.wire import TagRequest

STATUS_STYLE = {"pass": "green", "fail": "red", "missing": "red", "unexpected": "yellow"}
_MAX_DATA_CHARS = 90


def _short(value: Any) -> str:
    text = show(value)
    return text if len(text) <= _MAX_DATA_CHARS else text[: _MAX_DATA_CHARS - 1] + "…"


def _em_text(partner_data: Any) -> str:
    if isinstance(partner_data, dict) and "em" in partner_data:
        return f"em {str(partner_data['em'])[:12]}…"
    return "no em"


def describe_expected(event: ExpectedEvent | None) -> str:
    """Describe an expected event in one or two short lines."""
    if event is None:
        return "(nothing expected)"
    name = event.event if event.event is not None else "(no event name)"
    data = "" if event.ed is None else " " + _short(event.ed)
    return f"{name}{data}\n{_em_text(event.pd)}"


def describe_observed(request: TagRequest | None) -> str:
    """Describe an observed request in one or two short lines."""
    if request is None:
        return "(not observed)"
    name = request.event if request.event is not None else "(no event name)"
    data = "" if request.ed is None else " " + _short(request.ed)
    return f"{name}{data}\n{_em_text(request.pd)}"


def _step_of(verdict: Verdict) -> str:
    if verdict.expected is not None:
        return verdict.expected.origin
    return "(no step: matched nothing)"


def write_terminal(result: CheckResult, stream: TextIO, width: int | None = None) -> None:
    """Write the per-step report: Segment call, expected event, observed request, verdict and reason."""
    console = Console(file=stream, width=width or 140, soft_wrap=False, highlight=False)
    profile = result.profile
    console.print(Text(f"pintrk-harness check: {profile.name} ({profile.path})", style="bold"))
    source = "the profile" if profile.settings is not None else "the page's Segment CDN settings (auto)"
    console.print(f"expected settings from {source}: tid {result.settings.tid!r}")
    for warning in result.warnings:
        console.print(Text(f"warning: {warning}", style="yellow"))

    for verification in result.pages:
        page = verification.page
        console.print()
        traits = "stored traits: none" if not page.stored_traits else "stored traits: " + _short(mask_emails(page.stored_traits, 12))
        console.print(Text(f"Page {page.index + 1}: {page.url}  ({traits})", style="bold cyan"))
        table = Table(show_lines=True, expand=True)
        table.add_column("step and Segment call", ratio=3)
        table.add_column("expected Pinterest event", ratio=3)
        table.add_column("observed request", ratio=3)
        table.add_column("verdict", ratio=3)
        for verdict in verification.match.verdicts:
            status = Text(verdict.status.upper(), style=STATUS_STYLE.get(verdict.status, ""))
            if not verdict.passed:
                status.append("\n" + mask_emails(verdict.reason))
            table.add_row(mask_emails(_step_of(verdict)), describe_expected(verdict.expected), describe_observed(verdict.observed), status)
        if verification.match.verdicts:
            console.print(table)
        else:
            console.print("  no Pinterest event expected or observed on this page")
        for error in verification.destination.errors:
            console.print(Text(f"  destination threw on Segment call {error['call'] + 1}: {error['error']}", style="yellow"))

    if result.expectation_results:
        console.print()
        console.print(Text("Explicit expectations", style="bold"))
        for outcome in result.expectation_results:
            mark = Text("PASS " if outcome.passed else "FAIL ", style="green" if outcome.passed else "red")
            mark.append(mask_emails(outcome.reason))
            console.print(mark)

    if result.findings:
        console.print()
        console.print(Text("Tag data lint", style="bold"))
        for finding in result.findings:
            console.print(Text(f"{finding.severity}: {finding.rule_id}: {finding.message}", style="red" if finding.severity == "error" else "yellow"))

    console.print()
    if result.broken:
        console.print(Text(f"RUN BROKEN: {mask_emails(result.broken)}", style="bold red"))
    counts = summary_counts(result)
    summary = (
        f"{counts['pass']} passed, {counts['fail']} failed, {counts['missing']} missing, {counts['unexpected']} unexpected; "
        f"explicit expectations {counts['expectations_passed']}/{counts['expectations']}; "
        f"{len(result.findings)} lint finding{'' if len(result.findings) == 1 else 's'}; {result.duration:.1f} s"
    )
    console.print(Text(("OK: " if result.ok else "FAILED: ") + summary, style="bold green" if result.ok else "bold red"))
    for artifact in result.artifacts:
        console.print(f"kept {artifact}")


def summary_counts(result: CheckResult) -> dict[str, int]:
    """Count verdicts by status and explicit expectations."""
    counts = {"pass": 0, "fail": 0, "missing": 0, "unexpected": 0}
    for verification in result.pages:
        for verdict in verification.match.verdicts:
            counts[verdict.status] = counts.get(verdict.status, 0) + 1
    expectations = result.expectation_results
    counts["expectations"] = len(expectations)
    counts["expectations_passed"] = sum(1 for outcome in expectations if outcome.passed)
    return counts


def _expected_json(event: ExpectedEvent | None) -> dict[str, Any] | None:
    if event is None:
        return None
    return {"endpoint": event.endpoint, "event": event.event, "tid": event.tid, "ed": event.ed, "pd": event.pd, "origin": event.origin, "em_origin": event.em_origin}


def to_json(result: CheckResult) -> dict[str, Any]:
    """Build the JSON report, emails masked."""
    pages = []
    for verification in result.pages:
        page = verification.page
        pages.append(
            {
                "index": page.index,
                "url": page.url,
                "stored_traits": page.stored_traits,
                "verdicts": [
                    {
                        "status": verdict.status,
                        "reason": verdict.reason,
                        "step": _step_of(verdict),
                        "differences": [difference.reason for difference in verdict.differences],
                        "notes": list(verdict.notes),
                        "expected": _expected_json(verdict.expected),
                        "observed": verdict.observed.to_json() if verdict.observed else None,
                    }
                    for verdict in verification.match.verdicts
                ],
                "destination_errors": verification.destination.errors,
            }
        )
    document = {
        "profile": {"name": result.profile.name, "path": str(result.profile.path), "start_url": result.profile.start_url},
        "ok": result.ok,
        "broken": result.broken,
        "settings": result.settings.to_json(),
        "summary": summary_counts(result),
        "pages": pages,
        "expectations": [
            {"step": outcome.step, "event": outcome.expectation.event, "passed": outcome.passed, "reason": outcome.reason}
            for outcome in result.expectation_results
        ],
        "lint": findings_to_json(result.findings),
        "warnings": list(result.warnings),
        "artifacts": [str(path) for path in result.artifacts],
        "duration_seconds": round(result.duration, 3),
    }
    return mask_emails(document)


def write_json(result: CheckResult, path: Path) -> None:
    """Write the JSON report to a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(to_json(result), indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8", errors="backslashreplace")


def write_junit_xml(result: CheckResult, path: Path) -> None:
    """Write a JUnit XML report: one test case per verdict and per explicit expectation."""
    suite = ElementTree.Element("testsuite", name=f"pintrk-harness: {result.profile.name}")
    cases = 0
    failures = 0
    errors = 0
    if result.broken:
        case = ElementTree.SubElement(suite, "testcase", classname="run", name="run")
        ElementTree.SubElement(case, "error", message=mask_emails(result.broken))
        cases += 1
        errors += 1
    for verification in result.pages:
        for verdict in verification.match.verdicts:
            event = None
            if verdict.expected is not None:
                event = verdict.expected.event
            elif verdict.observed is not None:
                event = verdict.observed.event
            name = f"page {verification.page.index + 1}: {event} ({mask_emails(_step_of(verdict))})"
            case = ElementTree.SubElement(suite, "testcase", classname=f"page{verification.page.index + 1}", name=name)
            cases += 1
            if not verdict.passed:
                failure = ElementTree.SubElement(case, "failure", message=mask_emails(verdict.reason), type=verdict.status)
                failure.text = "\n".join(mask_emails(difference.reason) for difference in verdict.differences)
                failures += 1
    for outcome in result.expectation_results:
        case = ElementTree.SubElement(suite, "testcase", classname="expectations", name=mask_emails(outcome.step) + f": {outcome.expectation.event}")
        cases += 1
        if not outcome.passed:
            ElementTree.SubElement(case, "failure", message=mask_emails(outcome.reason), type="expectation")
            failures += 1
    if result.findings:
        output = ElementTree.SubElement(suite, "system-out")
        output.text = "\n".join(f"{finding.severity}: {finding.rule_id}: {finding.message}" for finding in result.findings)
    suite.set("tests", str(cases))
    suite.set("failures", str(failures))
    suite.set("errors", str(errors))
    suite.set("time", f"{result.duration:.3f}")
    path.parent.mkdir(parents=True, exist_ok=True)
    ElementTree.ElementTree(suite).write(path, encoding="utf-8", xml_declaration=True)
