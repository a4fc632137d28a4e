"""Destination settings of Segment's "Pinterest Tag" destination, validated.

Loading checks each setting once. A wrong type is rejected with a message
that names the source, the key and the value. Some values the real
destination reads in a surprising way: a null mapping, a list of key/value
pairs, a string of custom properties. Such a value is kept as it is, so the
model reproduces what the destination really does, and a warning explains
the consequence.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

# Segment's CDN settings file puts the destination's settings under this name.
DESTINATION_NAME = "Pinterest Tag"

# Keys Segment's settings for this destination carry besides the ones the
# destination reads; they are accepted without a warning.
_KNOWN_EXTRA_KEYS = {"versionSettings", "type", "bundlingStatus", "addBundledMetadata", "unbundledIntegrations", "maybeBundledConfigIds"}


class SettingsError(ValueError):
    """Invalid destination settings; the message names the source, key and value."""


@dataclass
class Settings:
    """Destination settings as the destination reads them (defaults filled in)."""

    tid: Any = ""
    pinterest_event_mapping: Any = field(default_factory=list)
    pinterest_custom_properties: Any = field(default_factory=list)
    use_enhanced_match_load: Any = False
    map_message_id_to_event_id: Any = False
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """Return the settings under the names Segment uses."""
        return {
            "tid": self.tid,
            "pinterestEventMapping": self.pinterest_event_mapping,
            "pinterestCustomProperties": self.pinterest_custom_properties,
            "useEnhancedMatchLoad": self.use_enhanced_match_load,
            "mapMessageIdToEventId": self.map_message_id_to_event_id,
        }


def _describe(value: Any) -> str:
    try:
        text = json.dumps(value, ensure_ascii=False, default=str)
    except (ValueError, RecursionError):
        # A YAML alias can make a value contain itself.
        text = "a value that contains itself"
    if len(text) > 80:
        text = text[:77] + "..."
    kind = {dict: "an object", list: "a list", str: "a string", bool: "a boolean", type(None): "null"}.get(type(value))
    if kind is None:
        kind = "a number" if isinstance(value, (int, float)) else type(value).__name__
    return f"{text} ({kind})"


def load_settings(raw: Any, source: str = "settings") -> Settings:
    """Validate a destination settings object and return Settings.

    `source` names where the object came from (a file and key path) for messages.
    Raises SettingsError on a wrong type. Warnings are collected on the result.
    """
    if not isinstance(raw, dict):
        raise SettingsError(f"{source}: expected an object of destination settings, got {_describe(raw)}")
    settings = Settings()
    for key, value in raw.items():
        where = f"{source}: {key}"
        if key == "tid":
            settings.tid = _check_tid(value, where, settings.warnings)
        elif key == "pinterestEventMapping":
            settings.pinterest_event_mapping = _check_mapping(value, where, settings.warnings)
        elif key == "pinterestCustomProperties":
            settings.pinterest_custom_properties = _check_custom_properties(value, where, settings.warnings)
        elif key == "useEnhancedMatchLoad":
            settings.use_enhanced_match_load = _check_flag(value, where, settings.warnings)
        elif key == "mapMessageIdToEventId":
            settings.map_message_id_to_event_id = _check_flag(value, where, settings.warnings)
        elif key not in _KNOWN_EXTRA_KEYS:
            settings.warnings.append(f"{where}: unknown setting, ignored (the destination reads tid, pinterestEventMapping, pinterestCustomProperties, useEnhancedMatchLoad, mapMessageIdToEventId)")
    if not settings.tid:
        settings.warnings.append(f"{source}: tid is empty, so the destination does nothing at all (no load, no events)")
    return settings


def settings_from_cdn(document: Any, source: str = "settings") -> Settings:
    """Return the Pinterest Tag settings from a Segment CDN settings document."""
    integrations = document.get("integrations") if isinstance(document, dict) else None
    if not isinstance(integrations, dict):
        raise SettingsError(f"{source}: integrations: missing; a Segment CDN settings document has an \"integrations\" object")
    if DESTINATION_NAME not in integrations:
        names = ", ".join(sorted(integrations)) or "none"
        raise SettingsError(f"{source}: integrations: no \"{DESTINATION_NAME}\" destination (found: {names})")
    return load_settings(integrations[DESTINATION_NAME], f"{source}: integrations.{DESTINATION_NAME}")


def _check_tid(value: Any, where: str, warnings: list[str]) -> Any:
    if value is None:
        warnings.append(f"{where}: null is read as an empty tag id")
        return value
    if not isinstance(value, str):
        raise SettingsError(f"{where}: expected the tag id as a string, got {_describe(value)}; quote it in YAML or JSON")
    if value and not value.strip().isdigit():
        warnings.append(f"{where}: {_describe(value)} does not look like a Pinterest tag id (digits only)")
    return value


def _check_mapping(value: Any, where: str, warnings: list[str]) -> Any:
    if value is None:
        warnings.append(f"{where}: null maps no event (the destination reads it like {{}})")
        return value
    if isinstance(value, list):
        warnings.append(
            f"{where}: given as a list; the destination walks it as an object whose keys are "
            '"0", "1", ..., so no real event is mapped (an event named "0" would be sent with the '
            "whole list item as its Pinterest event name). Give an object: {\"Segment event\": \"Pinterest event\"}"
        )
        return value
    if not isinstance(value, dict):
        raise SettingsError(f"{where}: expected an object of Segment event name to Pinterest event name, got {_describe(value)}")
    for segment_event, pinterest_event in value.items():
        if pinterest_event is None or pinterest_event == "":
            warnings.append(f"{where}: {json.dumps(segment_event)} maps to {_describe(pinterest_event)}, so that event is sent under its Segment name and the built-in mappings are skipped for it")
        elif not isinstance(pinterest_event, str):
            raise SettingsError(f"{where}: {json.dumps(segment_event)}: expected a Pinterest event name as a string, got {_describe(pinterest_event)}")
    return value


def _check_custom_properties(value: Any, where: str, warnings: list[str]) -> Any:
    if value is None:
        warnings.append(f"{where}: null makes the destination throw on every track call, so no track event is sent; use []")
        return value
    if isinstance(value, str):
        warnings.append(f"{where}: a string is walked character by character, each character used as a property name; give a list of property names")
        return value
    if not isinstance(value, list):
        raise SettingsError(f"{where}: expected a list of property names, got {_describe(value)}")
    for index, name in enumerate(value):
        if not isinstance(name, str):
            raise SettingsError(f"{where}[{index}]: expected a property name as a string, got {_describe(name)}")
    return value


def _check_flag(value: Any, where: str, warnings: list[str]) -> Any:
    if value is None:
        warnings.append(f"{where}: null is read as false")
        return value
    if not isinstance(value, bool):
        raise SettingsError(f"{where}: expected true or false, got {_describe(value)}")
    return value
