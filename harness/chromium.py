"""Find a Chromium executable and launch it through Playwright."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import Mapping, Sequence

from playwright.sync_api import Browser, Playwright

BROWSER_ENV_VAR = "PINTRK_HARNESS_BROWSER"

# Looked up on PATH, in this order, after Playwright's own build.
SYSTEM_BROWSER_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
# Checked as well, for environments whose PATH leaves out /usr/bin or /snap/bin.
SYSTEM_BROWSER_PATHS = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/snap/bin/chromium")

# Keep Chromium from calling home, updating components or showing first-run UI,
# so a run sends nothing beyond what the page under test requests.
QUIET_ARGS = (
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-gpu",
)


class BrowserNotFoundError(RuntimeError):
    """No usable Chromium executable; the message lists every place tried."""


def find_chromium(
    explicit: str | None = None,
    *,
    bundled: str | None = None,
    environ: Mapping[str, str] = os.environ,
    system_paths: Sequence[str] = SYSTEM_BROWSER_PATHS,
) -> str:
    """Return the path of the Chromium executable to launch.

    The first of these wins: `explicit`, the PINTRK_HARNESS_BROWSER variable,
    Playwright's bundled build (`bundled`, used only when the file exists),
    then a system Chromium or Chrome. An explicit or environment override
    that is not an executable raises instead of falling back, so a typo is
    not hidden.
    """
    if explicit:
        return _resolve_override(explicit, "the browser executable argument")
    override = environ.get(BROWSER_ENV_VAR)
    if override:
        return _resolve_override(override, f"{BROWSER_ENV_VAR}={override}")

    tried: list[str] = []
    if bundled:
        if _is_executable(bundled):
            return bundled
        tried.append(f"Playwright's bundled Chromium at {bundled} (not installed)")
    else:
        tried.append("Playwright's bundled Chromium (no path known)")

    search_path = environ.get("PATH", "")
    for name in SYSTEM_BROWSER_NAMES:
        found = shutil.which(name, path=search_path)
        if found:
            return found
    tried.append(f"{', '.join(SYSTEM_BROWSER_NAMES)} on PATH")
    for candidate in system_paths:
        if _is_executable(candidate):
            return candidate
    tried.extend(system_paths)

    raise BrowserNotFoundError(
        "No Chromium executable found. Tried: "
        + "; ".join(tried)
        + f". Install one (`python -m playwright install chromium`, or the system's chromium package),"
        f" or set {BROWSER_ENV_VAR} to the path of a Chromium or Chrome executable."
    )


def launch_args(*, running_as_root: bool | None = None) -> list[str]:
    """Return the command-line flags every launch passes to Chromium."""
    if running_as_root is None:
        running_as_root = hasattr(os, "geteuid") and os.geteuid() == 0
    args = list(QUIET_ARGS)
    if running_as_root:
        # Chromium refuses to start its sandbox as root.
        args.insert(0, "--no-sandbox")
    return args


def launch_chromium(playwright: Playwright, executable: str | None = None, *, headless: bool = True) -> Browser:
    """Find Chromium (see find_chromium) and launch it, headless unless asked otherwise."""
    path = find_chromium(executable, bundled=playwright.chromium.executable_path)
    return playwright.chromium.launch(executable_path=path, headless=headless, args=launch_args())


def _resolve_override(value: str, source: str) -> str:
    if os.sep in value or (os.altsep and os.altsep in value):
        path = str(Path(value).expanduser())
        if _is_executable(path):
            return path
        problem = "does not exist" if not os.path.exists(path) else "is not an executable file"
        raise BrowserNotFoundError(
            f"Chromium executable {path} from {source} {problem}. "
            f"Give the path of a Chromium or Chrome executable, or unset the override."
        )
    found = shutil.which(value)
    if found:
        return found
    raise BrowserNotFoundError(
        f"Chromium executable {value!r} from {source} was not found on PATH. "
        f"Give the full path of a Chromium or Chrome executable, or unset the override."
    )


def _is_executable(path: str) -> bool:
    return os.path.isfile(path) and os.access(path, os.X_OK)


def main() -> int:
    """Print the Chromium the harness would launch; exit 1 with the reason when there is none."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        bundled = playwright.chromium.executable_path
    try:
        print(find_chromium(bundled=bundled))
    except BrowserNotFoundError as error:
        print(error, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
