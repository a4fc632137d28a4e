"""Paths to the shared test data, which sits beside the repository as ../shared."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator

REPOSITORY = Path(__file__).resolve().parents[1]
VECTORS = REPOSITORY.parent / "shared" / "vectors"
DESTINATION_CASES = VECTORS / "segment-destination.jsonl"
WIRE_CAPTURES = VECTORS / "wire-captures.txt"


def destination_cases() -> list[dict[str, Any]]:
    """Return every recorded destination case, in file order."""
    with DESTINATION_CASES.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def wire_captures() -> Iterator[tuple[str, str, str, str | None]]:
    """Yield (description, method, url, body) for each captured request."""
    description = ""
    with WIRE_CAPTURES.open(encoding="utf-8") as handle:
        for line in handle:
            line = line.rstrip("\n")
            if not line.strip():
                continue
            if line.startswith("#"):
                description = line.lstrip("# ").strip()
                continue
            parts = line.split(" ", 2)
            body = parts[2] if len(parts) > 2 else None
            yield description, parts[0], parts[1], body
