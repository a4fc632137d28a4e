"""Report sections for what live runs add to a check: capture mode, page models, noscript images, diagnosis.

Written after harness.report's own report, in the terminal and as extra
keys of the JSON report. Emails are masked as everywhere else.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, TextIO

from rich.console import Console
from rich.text import Text

from harness.capture.records import describe_em, mask_emails
from harness.check import CheckResult
from harness.lint import findings_to_json
from harness.observed import MODEL_SEGMENT
from harness.report import to_json


def write_live_sections(result: CheckResult, stream: TextIO, width: int | None = None) -> None:
    """Write how the run captured requests, which pages had no Segment, the noscript images and the diagnosis."""
    console = Console(file=stream, width=width or 140, soft_wrap=True, highlight=False)
    destination = "sent to Pinterest" if result.sent_to_pinterest else "responded to by the harness (nothing reached Pinterest)"
    console.print(Text(f"capture: {result.capture}; requests to ct.pinterest.com {destination}", style="dim"))

    for index, model in enumerate(result.page_models):
        if model != MODEL_SEGMENT:
            note = "base code: events expected from its own pintrk calls" if model == "base code" else "no Segment and no pintrk call"
            console.print(Text(f"page {index + 1}: no Segment request ({note})", style="dim"))

    if result.noscript:
        console.print()
        console.print(Text("Noscript fallback images (decoded from the page HTML; a browser with JavaScript never sends them)", style="bold"))
        for number, image in enumerate(result.noscript):
            request = image.request
            console.print(f"  {mask_emails(image.page_url)}: event={request.event} tid={request.tid} {describe_em(request.pd)}", markup=False)
            for finding in result.noscript_findings:
                if finding.request_index == number:
                    style = "red" if finding.severity == "error" else "yellow"
                    console.print(Text(f"    {finding.severity}: {finding.rule_id}: {finding.message}", style=style))

    errors = result.lint_errors
    if errors and not result.broken:
        console.print(Text(f"lint found {len(errors)} error{'s' if len(errors) != 1 else ''}, so the check fails", style="red"))

    if result.diagnosis is not None:
        console.print()
        diagnosis = result.diagnosis
        console.print(Text(f"DIAGNOSIS {diagnosis.name}: {mask_emails(diagnosis.message)}", style="bold red"))
        console.print(Text(f"hint: {diagnosis.hint}", style="yellow"))


def live_json(result: CheckResult) -> dict[str, Any]:
    """Build the JSON report: harness.report's document plus the live-run keys."""
    document = to_json(result)
    document["capture"] = result.capture
    document["sent_to_pinterest"] = result.sent_to_pinterest
    document["diagnosis"] = result.diagnosis.to_json() if result.diagnosis else None
    document["page_models"] = list(result.page_models)
    document["noscript"] = [
        {
            "page_url": image.page_url,
            "request": image.request.to_json(),
            "lint": findings_to_json([finding for finding in result.noscript_findings if finding.request_index == number]),
        }
        for number, image in enumerate(result.noscript)
    ]
    return mask_emails(document)


def write_live_json(result: CheckResult, path: Path) -> None:
    """Write the JSON report, with the live-run keys, to a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(live_json(result), indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8", errors="backslashreplace")

