"""Run the node checks of the fixture JavaScript: destination vectors and tag emulator."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from shared_vectors import DESTINATION_CASES, REPOSITORY

NODE = shutil.which("node")
pytestmark = pytest.mark.skipif(NODE is None, reason="node (20 or later) is not on PATH")


def run_node(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [NODE, *arguments], cwd=REPOSITORY, capture_output=True, text=True, timeout=120, check=False
    )


def test_destination_matches_vectors():
    result = run_node("tests/js/run_destination_vectors.mjs", str(DESTINATION_CASES))
    assert result.returncode == 0, result.stdout + result.stderr


def test_tag_emulator_checks():
    result = run_node("--test", "tests/js/tag_emulator.test.mjs")
    assert result.returncode == 0, result.stdout + result.stderr
