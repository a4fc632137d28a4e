"""Site profiles: YAML files that say where a site is, what to do on it and what to expect.

Loading validates the whole profile at once; every error names the file,
the key path and the value, so a profile is fixed in one edit.
"""

from __future__ import annotations

import datetime
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from harness.bundled import FIXTURES_DIR
from harness.lint import validate_rule_ids
from harness.parse_errors import PARSE_ERRORS, parse_error_message

from harness.settings import DESTINATION_NAME, Settings, SettingsError, load_settings
from harness.settings_file import read_settings_file

# Step actions, each with the shape of its value.
BROWSER_ACTIONS = ("goto", "click", "fill", "press", "select", "wait_for")
SEGMENT_ACTIONS = ("page", "track", "identify")
STEP_KEYS = set(BROWSER_ACTIONS) | set(SEGMENT_ACTIONS) | {"name", "expect"}
PROFILE_KEYS = {
    "name",
    "start_url",
    "settings",
    "stored_traits",
    "steps",
    "timeout",
    "lint",
    "fixture_settings",
    "description",
    "capture",
    "send_to_pinterest",
    "offline_scripts",
    "tag_wait",
}
EM_RULES = ("expected", "absent", "any")
# Capture modes: Playwright routes in the browser, or the mitmproxy proxy Chromium runs through.
CAPTURE_MODES = ("routes", "proxy")
DEFAULT_TAG_WAIT = 5.0

# URLs starting with this are files under the bundled fixtures, served on loopback.
FIXTURE_SCHEME = "fixture:"
# Limits on a profile once YAML aliases are expanded. Real profiles have a few
# hundred values; these stop an alias bomb before it fills memory.
MAX_PROFILE_VALUES = 100_000
MAX_PROFILE_DEPTH = 64


class ProfileError(ValueError):
    """An invalid site profile; the message names the file, the key and the value."""


@dataclass
class Expectation:
    """An explicit expectation: an event with a subset of its data, and the em rule."""

    event: str
    data: dict[str, Any] = field(default_factory=dict)
    em: str = "any"


@dataclass
class Step:
    """One step: a browser action or a Segment call, with its explicit expectations."""

    action: str
    value: Any
    label: str
    expectations: list[Expectation] = field(default_factory=list)


@dataclass
class SiteProfile:
    """A validated site profile."""

    path: Path
    name: str
    start_url: str
    settings: Settings | None  # None means "auto": read from the page's Segment CDN settings
    stored_traits: Any
    steps: list[Step]
    timeout: float = 15.0
    lint_disabled: list[str] = field(default_factory=list)
    fixture_settings: Path | None = None
    capture: str = "routes"
    send_to_pinterest: bool = False
    # Serve analytics.js, the Segment CDN settings and API responses, and
    # Pinterest's core.js from the fixtures, on a live site too.
    offline_scripts: bool = False
    # Seconds to wait for the first pintrk call or Pinterest request before
    # diagnosing why the tag stayed silent.
    tag_wait: float = DEFAULT_TAG_WAIT

    @property
    def is_fixture(self) -> bool:
        """Tell whether the profile runs on the bundled fixtures, fully offline."""
        return self.start_url.startswith(FIXTURE_SCHEME)


def url_problem(url: str) -> str | None:
    """Describe what makes an http(s) URL unusable (no host, a malformed address), or return None."""
    try:
        parts = urlsplit(url)
        parts.port  # raises ValueError for a port that is not a number in range
    except ValueError as error:
        return f"invalid URL ({error})"
    if not parts.hostname:
        return "no host name; write it as http://HOST/PATH"
    return None


def _show(value: Any) -> str:
    try:
        text = json.dumps(value, ensure_ascii=False, default=str)
    except (ValueError, RecursionError):
        # A YAML alias can make a value contain itself.
        text = "a value that contains itself"
    return text if len(text) <= 80 else text[:77] + "..."


def load_profile(path: str | Path) -> SiteProfile:
    """Read and validate a site profile file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as error:
        raise ProfileError(f"{path}: site profile not found") from error
    except OSError as error:
        raise ProfileError(f"{path}: cannot read the site profile ({error.strerror})") from error
    except UnicodeDecodeError as error:
        raise ProfileError(f"{path}: not UTF-8 text (invalid byte at offset {error.start})") from error
    try:
        document = yaml.safe_load(text)
    except PARSE_ERRORS as error:
        raise ProfileError(f"{path}: {parse_error_message(error, 'YAML')}") from error
    return parse_profile(document, path)


def parse_profile(document: Any, path: Path) -> SiteProfile:
    """Validate a profile already read from YAML."""
    _check_plain_data(document, path)
    if not isinstance(document, dict):
        raise ProfileError(f"{path}: expected a mapping with start_url, settings and steps, got {_show(document)}")
    unknown = sorted(set(document) - PROFILE_KEYS, key=str)
    if unknown:
        raise ProfileError(f"{path}: {unknown[0]}: unknown key (known: {', '.join(sorted(PROFILE_KEYS))})")

    start_url = document.get("start_url")
    if not isinstance(start_url, str) or not start_url.strip():
        raise ProfileError(f"{path}: start_url: expected a URL or {FIXTURE_SCHEME}PATH, got {_show(start_url)}")
    if not (start_url.startswith(("http://", "https://")) or start_url.startswith(FIXTURE_SCHEME)):
        raise ProfileError(f"{path}: start_url: {_show(start_url)} is not an http(s) URL nor {FIXTURE_SCHEME}PATH")
    if not start_url.startswith(FIXTURE_SCHEME):
        problem = url_problem(start_url)
        if problem:
            raise ProfileError(f"{path}: start_url: {_show(start_url)}: {problem}")

    name = document.get("name", path.stem)
    if not isinstance(name, str):
        raise ProfileError(f"{path}: name: expected text, got {_show(name)}")

    timeout = document.get("timeout", 15)
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 0 < timeout <= 600:
        raise ProfileError(f"{path}: timeout: expected seconds between 0 and 600, got {_show(timeout)}")

    steps_value = document.get("steps", [])
    if not isinstance(steps_value, list):
        raise ProfileError(f"{path}: steps: expected a list of steps, got {_show(steps_value)}")
    steps = [_parse_step(item, f"{path}: steps[{index}]") for index, item in enumerate(steps_value)]

    tag_wait = document.get("tag_wait", DEFAULT_TAG_WAIT)
    if isinstance(tag_wait, bool) or not isinstance(tag_wait, (int, float)) or not 0 <= tag_wait <= 600:
        raise ProfileError(f"{path}: tag_wait: expected seconds between 0 and 600, got {_show(tag_wait)}")

    capture = document.get("capture", "routes")
    if capture not in CAPTURE_MODES:
        raise ProfileError(f"{path}: capture: expected one of {', '.join(CAPTURE_MODES)}, got {_show(capture)}")
    send_to_pinterest = _parse_flag(document, "send_to_pinterest", path)
    if send_to_pinterest and start_url.startswith(FIXTURE_SCHEME):
        raise ProfileError(
            f"{path}: send_to_pinterest: true needs an http(s) start_url; a {FIXTURE_SCHEME} profile runs offline, "
            "so remove send_to_pinterest or point start_url at the live site"
        )

    return SiteProfile(
        path=path,
        name=name,
        start_url=start_url,
        settings=_parse_settings(document.get("settings", "auto"), path),
        stored_traits=_parse_stored_traits(document.get("stored_traits"), path),
        steps=steps,
        timeout=float(timeout),
        lint_disabled=_parse_lint(document.get("lint"), path),
        fixture_settings=_parse_fixture_settings(document.get("fixture_settings"), path),
        capture=capture,
        send_to_pinterest=send_to_pinterest,
        offline_scripts=_parse_flag(document, "offline_scripts", path),
        tag_wait=float(tag_wait),
    )


def _check_plain_data(document: Any, path: Path) -> None:
    """Reject what YAML can hold but a page's JavaScript cannot receive, before any key is read.

    Values must be JSON's: text keys, finite numbers, no dates, binary data or
    sets. A value may not contain itself, and YAML aliases may not expand the
    profile beyond MAX_PROFILE_VALUES values or MAX_PROFILE_DEPTH levels.
    """
    counted = 0
    # Each entry: the value, its key path for messages, its depth, and the ids of the containers above it.
    pending: list[tuple[Any, str, int, frozenset[int]]] = [(document, "", 0, frozenset())]
    while pending:
        value, where, depth, above = pending.pop()
        counted += 1
        if counted > MAX_PROFILE_VALUES:
            raise ProfileError(
                f"{path}: more than {MAX_PROFILE_VALUES:,} values once YAML aliases are expanded; "
                "a profile this large is likely an alias bomb, so write the values out"
            )
        label = where or "the profile"
        if isinstance(value, (dict, list)):
            if id(value) in above:
                raise ProfileError(f"{path}: {label}: contains itself (a YAML alias that refers to its own parent); write it out in full")
            if depth >= MAX_PROFILE_DEPTH:
                raise ProfileError(f"{path}: {label}: nested more than {MAX_PROFILE_DEPTH} levels deep")
            inner = above | {id(value)}
            if isinstance(value, list):
                pending.extend((item, f"{where}[{index}]", depth + 1, inner) for index, item in enumerate(value))
                continue
            for key, item in value.items():
                if not isinstance(key, str):
                    raise ProfileError(f"{path}: {label}: key {_show(key)} is not text; quote it in the YAML")
                pending.append((item, f"{where}.{key}" if where else key, depth + 1, inner))
            continue
        if value is None or isinstance(value, (str, bool, int)):
            continue
        if isinstance(value, float):
            if not math.isfinite(value):
                raise ProfileError(f"{path}: {label}: {value} is not a finite number, which JSON cannot carry")
            continue
        if isinstance(value, (datetime.date, datetime.datetime)):
            raise ProfileError(f"{path}: {label}: YAML read {value.isoformat()} as a date; quote it to pass it as text")
        raise ProfileError(f"{path}: {label}: a YAML {type(value).__name__} value is not supported; use text, numbers, lists and mappings")


def _parse_flag(document: dict[str, Any], key: str, path: Path) -> bool:
    value = document.get(key, False)
    if not isinstance(value, bool):
        raise ProfileError(f"{path}: {key}: expected true or false, got {_show(value)}")
    return value


def _parse_settings(value: Any, path: Path) -> Settings | None:
    if value == "auto":
        return None
    if isinstance(value, dict) and "file" in value:
        others = sorted(str(key) for key in value if key != "file")
        if others:
            raise ProfileError(
                f"{path}: settings: {others[0]}: not allowed beside file; "
                "give either {file: PATH} or the destination settings inline, not both"
            )
        return _settings_from_file(value["file"], path)
    if not isinstance(value, dict):
        raise ProfileError(f"{path}: settings: expected auto, {{file: PATH}} or the destination settings, got {_show(value)}")
    try:
        return load_settings(value, f"{path}: settings")
    except SettingsError as error:
        raise ProfileError(str(error)) from error


def _settings_from_file(file_value: Any, path: Path) -> Settings:
    if not isinstance(file_value, str) or not file_value:
        raise ProfileError(f"{path}: settings.file: expected the path of a JSON or YAML settings file, got {_show(file_value)}")
    settings_path = (path.parent / file_value).resolve()
    try:
        document, settings = read_settings_file(settings_path)
        # Inline settings pass the profile's plain-data check. A YAML settings file needs it too (number or date keys).
        _check_plain_data(document, settings_path)
    except (SettingsError, ProfileError) as error:
        raise ProfileError(f"{path}: settings.file: {error}") from error
    return settings


def _parse_fixture_settings(value: Any, path: Path) -> Path | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise ProfileError(f"{path}: fixture_settings: expected a path to a Segment CDN settings JSON file, got {_show(value)}")
    if value.startswith(FIXTURE_SCHEME):
        fixtures = FIXTURES_DIR.resolve()
        resolved = (fixtures / value[len(FIXTURE_SCHEME):].lstrip("/")).resolve()
        if not resolved.is_relative_to(fixtures):
            raise ProfileError(f"{path}: fixture_settings: {_show(value)} points outside the bundled fixtures ({fixtures}); give a path relative to the profile instead")
    else:
        resolved = (path.parent / value).resolve()
    if not resolved.is_file():
        raise ProfileError(f"{path}: fixture_settings: {resolved} not found")
    _check_cdn_settings(resolved, path)
    return resolved


def _check_cdn_settings(settings_path: Path, path: Path) -> None:
    """Check that a fixture_settings file is a Segment CDN settings object, as the page will receive it."""
    where = f"{path}: fixture_settings: {settings_path}"
    try:
        document = json.loads(settings_path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError) as error:
        raise ProfileError(f"{where}: cannot read it ({error})") from error
    except PARSE_ERRORS as error:
        raise ProfileError(f"{where}: {parse_error_message(error, 'JSON')}") from error
    if not isinstance(document, dict):
        raise ProfileError(f"{where}: expected a Segment CDN settings object such as {{\"integrations\": {{...}}}}, got {_show(document)}")
    integrations = document.get("integrations", {})
    if not isinstance(integrations, dict):
        raise ProfileError(f"{where}: integrations: expected an object of destinations, got {_show(integrations)}")
    destination = integrations.get(DESTINATION_NAME)
    if destination is not None and not isinstance(destination, dict):
        raise ProfileError(f"{where}: integrations.{DESTINATION_NAME}: expected the destination settings object, got {_show(destination)}")


def _parse_stored_traits(value: Any, path: Path) -> Any:
    if value is not None and not isinstance(value, dict):
        raise ProfileError(f"{path}: stored_traits: expected a mapping of user traits or null, got {_show(value)}")
    return value


def _parse_lint(value: Any, path: Path) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, dict) or set(value) - {"disable"}:
        raise ProfileError(f"{path}: lint: expected {{disable: [RULE-ID, ...]}}, got {_show(value)}")
    disabled = value.get("disable", [])
    if not isinstance(disabled, list) or not all(isinstance(item, str) for item in disabled):
        raise ProfileError(f"{path}: lint.disable: expected a list of rule ids, got {_show(disabled)}")
    try:
        validate_rule_ids(disabled)
    except ValueError as error:
        raise ProfileError(f"{path}: lint.disable: {error}") from error
    return disabled


def _parse_step(item: Any, where: str) -> Step:
    if not isinstance(item, dict):
        raise ProfileError(f"{where}: expected a mapping such as {{click: SELECTOR}}, got {_show(item)}")
    unknown = sorted(set(item) - STEP_KEYS, key=str)
    if unknown:
        raise ProfileError(f"{where}: {unknown[0]}: unknown step key (actions: {', '.join(BROWSER_ACTIONS + SEGMENT_ACTIONS)})")
    actions = [key for key in item if key in BROWSER_ACTIONS or key in SEGMENT_ACTIONS]
    if len(actions) != 1:
        found = ", ".join(actions) or "none"
        raise ProfileError(f"{where}: expected exactly one action ({', '.join(BROWSER_ACTIONS + SEGMENT_ACTIONS)}), found {found}")
    action = actions[0]
    value = _parse_action(action, item[action], f"{where}.{action}")
    label = item.get("name")
    if label is not None and not isinstance(label, str):
        raise ProfileError(f"{where}.name: expected text, got {_show(label)}")
    expectations = _parse_expectations(item.get("expect", []), f"{where}.expect")
    return Step(action, value, label or describe_action(action, value), expectations)


def _require_text(value: Any, where: str, what: str) -> str:
    if not isinstance(value, str) or not value:
        raise ProfileError(f"{where}: expected {what}, got {_show(value)}")
    return value


def _require_mapping(value: Any, where: str, allowed: set[str], required: set[str]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ProfileError(f"{where}: expected a mapping with {', '.join(sorted(allowed))}, got {_show(value)}")
    unknown = sorted(set(value) - allowed, key=str)
    if unknown:
        raise ProfileError(f"{where}.{unknown[0]}: unknown key (known: {', '.join(sorted(allowed))})")
    missing = sorted(required - set(value))
    if missing:
        raise ProfileError(f"{where}.{missing[0]}: missing")
    return value


def _parse_action(action: str, value: Any, where: str) -> Any:
    if action in ("goto", "click", "wait_for"):
        return _require_text(value, where, "a URL" if action == "goto" else "a CSS selector")
    if action in ("fill", "select"):
        mapping = _require_mapping(value, where, {"selector", "value"}, {"selector", "value"})
        _require_text(mapping["selector"], f"{where}.selector", "a CSS selector")
        if not isinstance(mapping["value"], str):
            raise ProfileError(f"{where}.value: expected text, got {_show(mapping['value'])}")
        return mapping
    if action == "press":
        mapping = _require_mapping(value, where, {"selector", "key"}, {"selector", "key"})
        _require_text(mapping["selector"], f"{where}.selector", "a CSS selector")
        _require_text(mapping["key"], f"{where}.key", "a key name such as Enter")
        return mapping
    if action == "page":
        mapping = _require_mapping(value or {}, where, {"category", "name", "properties"}, set())
        for key in ("category", "name"):
            if key in mapping and mapping[key] is not None and not isinstance(mapping[key], str):
                raise ProfileError(f"{where}.{key}: expected text, got {_show(mapping[key])}")
        _optional_mapping(mapping.get("properties"), f"{where}.properties")
        return mapping
    if action == "track":
        mapping = _require_mapping(value, where, {"event", "properties"}, {"event"})
        _require_text(mapping["event"], f"{where}.event", "an event name")
        _optional_mapping(mapping.get("properties"), f"{where}.properties")
        return mapping
    mapping = _require_mapping(value or {}, where, {"user_id", "traits"}, set())
    user_id = mapping.get("user_id")
    if user_id is not None and (isinstance(user_id, bool) or not isinstance(user_id, (str, int, float))):
        raise ProfileError(f"{where}.user_id: expected text or a number, got {_show(user_id)}")
    _optional_mapping(mapping.get("traits"), f"{where}.traits")
    return mapping


def _optional_mapping(value: Any, where: str) -> None:
    if value is not None and not isinstance(value, dict):
        raise ProfileError(f"{where}: expected a mapping, got {_show(value)}")


def _parse_expectations(value: Any, where: str) -> list[Expectation]:
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, list):
        raise ProfileError(f"{where}: expected a list of {{event, data, em}}, got {_show(value)}")
    expectations = []
    for index, item in enumerate(value):
        item_where = f"{where}[{index}]"
        mapping = _require_mapping(item, item_where, {"event", "data", "em"}, {"event"})
        event = _require_text(mapping["event"], f"{item_where}.event", "a Pinterest event name")
        data = mapping.get("data", {})
        _optional_mapping(data, f"{item_where}.data")
        em = mapping.get("em", "any")
        if em not in EM_RULES:
            raise ProfileError(f"{item_where}.em: expected one of {', '.join(EM_RULES)}, got {_show(em)}")
        expectations.append(Expectation(event, data or {}, em))
    return expectations


def describe_action(action: str, value: Any) -> str:
    """Describe a step's action in a few words, with no plain email in it."""
    if action in ("goto", "click", "wait_for"):
        return f"{action} {value}"
    if action == "fill":
        return f"fill {value['selector']}"
    if action == "select":
        return f"select {value['value']!r} in {value['selector']}"
    if action == "press":
        return f"press {value['key']} in {value['selector']}"
    if action == "track":
        return f"track {value['event']!r}"
    if action == "page":
        parts = [repr(value[key]) for key in ("category", "name") if value.get(key)]
        return " ".join(["page"] + parts)
    return "identify"
