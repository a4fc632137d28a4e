"""Shared fixtures for the project's own tests."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from harness.browser import HarnessBrowser
from harness.fixture_server import FixtureServer

# Pages and stand-in scripts that only the harness's own tests load.
TEST_PAGES_DIR = Path(__file__).resolve().parent / "pages"


@pytest.fixture(scope="session")
def harness_browser() -> Iterator[HarnessBrowser]:
    """One Chromium and fixture server for the whole test session."""
    with HarnessBrowser() as browser:
        yield browser


@pytest.fixture(scope="session")
def pages_server() -> Iterator[FixtureServer]:
    """A server for tests/pages, whose pinterest/ and segment/ hold stand-ins for the fixture scripts."""
    with FixtureServer(TEST_PAGES_DIR) as server:
        yield server
