"""The pytest-playwright fixture that the pintrk-harness plugin overrides.

The plugin registers this module only when pytest-playwright is loaded, and
after every plugin from an entry point, so this fixture builds on
pytest-playwright's own. It is a module-level function, not a method, because
pytest deprecates session-scoped fixtures defined as instance methods.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Playwright

from harness.chromium import BrowserNotFoundError
from harness.pytest_plugin import chromium_launch_options


@pytest.fixture(scope="session")
def browser_type_launch_args(
    browser_type_launch_args: dict[str, Any],
    browser_name: str | None,
    playwright: Playwright,
    connect_options: dict[str, Any] | None,
) -> dict[str, Any]:
    """pytest-playwright's launch options, plus the Chromium executable (PINTRK_HARNESS_BROWSER first) and flags."""
    try:
        return chromium_launch_options(
            browser_type_launch_args,
            browser_name=browser_name,
            bundled=playwright.chromium.executable_path,
            remote=connect_options is not None,
        )
    except BrowserNotFoundError as error:
        pytest.fail(str(error), pytrace=False)
