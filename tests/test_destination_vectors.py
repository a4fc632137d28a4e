"""The destination model reproduces every recorded case exactly."""

from __future__ import annotations

import json

import pytest

from harness.destination import run_destination
from harness.settings import load_settings
from shared_vectors import destination_cases

CASES = destination_cases()


@pytest.mark.parametrize("case", CASES, ids=[case["id"] for case in CASES])
def test_destination_case(case):
    settings = load_settings(case["settings"], case["id"])
    result = run_destination(settings, case["stored_traits"], case["calls"])

    assert result.commands == case["pintrk"]
    assert result.commands_by_call == case["pintrk_by_call"]
    assert result.errors == case.get("errors", [])


@pytest.mark.parametrize("case", CASES, ids=[case["id"] for case in CASES])
def test_destination_case_key_order(case):
    settings = load_settings(case["settings"], case["id"])
    result = run_destination(settings, case["stored_traits"], case["calls"])

    assert json.dumps(result.commands) == json.dumps(case["pintrk"])


def test_vectors_file_is_not_empty():
    assert len(CASES) > 100
