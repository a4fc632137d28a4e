"""The bundled fixtures and site profiles are found in a checkout and in an installed wheel."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness import bundled


def test_checkout_folders_found() -> None:
    repository = Path(__file__).resolve().parents[1]
    assert bundled.FIXTURES_DIR == repository / "fixtures"
    assert bundled.SITES_DIR == repository / "sites"
    assert (bundled.SITES_DIR / "demo-shop.yaml").is_file()


def test_wheel_copy_preferred(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # As in site-packages: the package, its bundled copy, and an unrelated `sites` folder beside it.
    package = tmp_path / "harness"
    (package / "bundled_sites").mkdir(parents=True)
    (tmp_path / "sites").mkdir()
    monkeypatch.setattr(bundled, "_PACKAGE_DIR", package)
    assert bundled.bundled_dir("sites") == package / "bundled_sites"


def test_checkout_folder_without_wheel_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package = tmp_path / "harness"
    package.mkdir()
    monkeypatch.setattr(bundled, "_PACKAGE_DIR", package)
    assert bundled.bundled_dir("fixtures") == tmp_path / "fixtures"
