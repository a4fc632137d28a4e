"""Locate the fixture world and the site profiles that ship with pintrk-harness.

In a source checkout (and an editable install of one) they are the `fixtures/`
and `sites/` folders beside the package. A built wheel carries them inside the
package as `bundled_fixtures/` and `bundled_sites/` (see pyproject.toml).
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def bundled_dir(name: str) -> Path:
    """Return the folder `name` ("fixtures" or "sites") of this installation.

    The copy inside the package comes first, because beside an installed
    package lies site-packages, where a folder of that name may belong to
    another distribution.
    """
    inside = _PACKAGE_DIR / f"bundled_{name}"
    if inside.is_dir():
        return inside
    return _PACKAGE_DIR.parent / name


# The fixture pages, scripts and settings the browser loads offline.
FIXTURES_DIR = bundled_dir("fixtures")
# The bundled site profiles, the demo shop's among them.
SITES_DIR = bundled_dir("sites")
