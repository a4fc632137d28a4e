"""Reading destination settings from JSON and YAML files."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from harness.fixture_server import FIXTURES_DIR
from harness.settings import SettingsError
from harness.settings_file import read_settings_file

SHOP_SETTINGS = FIXTURES_DIR / "pages" / "shop" / "settings.json"


def test_yaml_settings(tmp_path: Path) -> None:
    path = tmp_path / "settings.yml"
    path.write_text('tid: "2612345678901"\npinterestEventMapping:\n  Signed Up: Lead\n', encoding="utf-8")
    raw, settings = read_settings_file(path)
    assert raw == {"tid": "2612345678901", "pinterestEventMapping": {"Signed Up": "Lead"}}
    assert settings.pinterest_event_mapping == {"Signed Up": "Lead"}


def test_cdn_document_uses_destination() -> None:
    raw, settings = read_settings_file(SHOP_SETTINGS)
    document = json.loads(SHOP_SETTINGS.read_text(encoding="utf-8"))
    assert raw == document["integrations"]["Pinterest Tag"]
    assert settings.use_enhanced_match_load is True


def test_cdn_document_without_destination(tmp_path: Path) -> None:
    path = tmp_path / "cdn.json"
    path.write_text(json.dumps({"integrations": {"Segment.io": {}}}), encoding="utf-8")
    with pytest.raises(SettingsError, match=r'cdn\.json: integrations: no "Pinterest Tag" destination \(found: Segment\.io\)'):
        read_settings_file(path)


def test_invalid_value_names_key(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"tid": "2612345678901", "useEnhancedMatchLoad": "yes"}), encoding="utf-8")
    with pytest.raises(SettingsError) as raised:
        read_settings_file(path)
    assert str(raised.value) == f'{path}: useEnhancedMatchLoad: expected true or false, got "yes" (a string)'


def test_invalid_json_position(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text('{"tid": "1",\n  tid2}', encoding="utf-8")
    with pytest.raises(SettingsError, match=r"settings\.json: invalid JSON at line 2, column 3: "):
        read_settings_file(path)


def test_invalid_yaml_position(tmp_path: Path) -> None:
    path = tmp_path / "settings.yaml"
    path.write_text('tid: "1"\n  - broken\n', encoding="utf-8")
    with pytest.raises(SettingsError, match=r"settings\.yaml: invalid YAML at line 2, column \d+: "):
        read_settings_file(path)


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "absent.json"
    with pytest.raises(SettingsError, match=r"absent\.json: settings file not found"):
        read_settings_file(path)


@pytest.mark.parametrize(
    "name, text, message",
    [
        ("deep.json", "[" * 100_000 + "]" * 100_000, "JSON nested too deeply to read"),
        ("deep.yaml", "[" * 2000 + "]" * 2000, "YAML nested too deeply to read"),
        ("long.json", '{"tid": ' + "9" * 5000 + "}", "cannot read the JSON: Exceeds the limit (4300 digits)"),
    ],
)
def test_unreadable_settings_file(tmp_path: Path, name: str, text: str, message: str) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SettingsError, match=re.escape(f"{path}: {message}")):
        read_settings_file(path)


def test_byte_order_mark_skipped(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_bytes(b"\xef\xbb\xbf" + b'{"tid": "2612345678901"}')
    _, settings = read_settings_file(path)
    assert settings.tid == "2612345678901"
