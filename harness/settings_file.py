"""Read Pinterest Tag destination settings from a JSON or YAML file.

A file contains either the destination settings themselves
(`{"tid": "...", "pinterestEventMapping": {...}}`) or a whole Segment CDN
settings document, whose `integrations["Pinterest Tag"]` is used.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from harness.parse_errors import PARSE_ERRORS, parse_error_message
from harness.settings import DESTINATION_NAME, Settings, SettingsError, load_settings

YAML_SUFFIXES = (".yaml", ".yml")


def read_settings_file(path: str | Path) -> tuple[dict[str, Any], Settings]:
    """Read and validate a settings file; return the raw settings object and the validated Settings.

    Files ending in .yaml or .yml are read as YAML, any other as JSON.
    Raises SettingsError naming the file (and, for invalid settings, the key
    and the value).
    """
    path = Path(path)
    document = _read_document(path)
    source = str(path)
    if isinstance(document, dict) and "integrations" in document:
        integrations = document["integrations"]
        if not isinstance(integrations, dict) or DESTINATION_NAME not in integrations:
            names = ", ".join(sorted(integrations)) if isinstance(integrations, dict) else "none"
            raise SettingsError(
                f"{source}: integrations: no {json.dumps(DESTINATION_NAME)} destination (found: {names or 'none'}); "
                "give a Segment CDN settings document with that destination, or the destination settings alone"
            )
        document = integrations[DESTINATION_NAME]
        source = f"{source}: integrations.{DESTINATION_NAME}"
    settings = load_settings(document, source)
    return document, settings


def _read_document(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError as error:
        raise SettingsError(f"{path}: settings file not found; give the path of a JSON or YAML settings file") from error
    except UnicodeDecodeError as error:
        raise SettingsError(f"{path}: not UTF-8 text (invalid byte at offset {error.start})") from error
    except OSError as error:
        raise SettingsError(f"{path}: cannot read the settings file ({error.strerror})") from error

    if path.suffix.lower() in YAML_SUFFIXES:
        try:
            return yaml.safe_load(text)
        except PARSE_ERRORS as error:
            raise SettingsError(f"{path}: {parse_error_message(error, 'YAML')}") from error
    try:
        return json.loads(text)
    except PARSE_ERRORS as error:
        raise SettingsError(f"{path}: {parse_error_message(error, 'JSON')}") from error
