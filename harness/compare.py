"""Compare one expected event with one observed request, field by field.

Pure. Used by `harness.matching`, which decides which request goes with
which event. Rules:

- Standard event names (and the tag's `init`) compare ignoring case,
  partner-defined names exactly.
- Event data compares key by key: numbers by value (10 == 10.0, but a
  boolean is never a number), lists item by item with the index in the path,
  objects recursively. No `ed` and an empty `ed` are the same.
- Identity keys in `pd` (`em`, `fn`, ..., `external_id`) must equal the
  expected hash where the tag would send them, and be absent where it would
  not, in every mode. The reason names the command that set them.
- Keys the tag adds itself (`pin_unauth`, `epik`, `derived_epik`,
  `aem_eligible_list`, and `np` unless expected) and the parameters `ad`,
  `dep`, `stc`, `cb` are ignored. Other extra keys in `ed`/`pd` and extra
  parameters become notes.
- Strict mode ignores nothing: every extra key or parameter is a failing
  difference, and a `/v3/` request must carry `ad` and `cb`, whose values
  change with every run and so are never compared.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from harness.jsvalue import UNDEFINED, dumps
from harness.tag import IDENTITY_KEYS, ExpectedEvent, hash_identity, is_standard_event, looks_like_email
from harness.wire import TagRequest

TAG_PARTNER_KEYS = frozenset({"pin_unauth", "epik", "derived_epik", "aem_eligible_list", "np"})
TAG_PARAMS = frozenset({"ad", "dep", "stc", "cb"})
_MAX_SHOWN = 200


@dataclass(frozen=True)
class MatchOptions:
    """Comparison options.

    `strict` makes every extra key or parameter a failure and ignores
    nothing. `check_user_requests` pairs and compares the optional `/user/`
    events of the tag model instead of leaving them out.
    """

    strict: bool = False
    check_user_requests: bool = False
    ignored_partner_keys: frozenset[str] = TAG_PARTNER_KEYS
    ignored_params: frozenset[str] = TAG_PARAMS


@dataclass(frozen=True)
class Difference:
    """One failing difference: `path` such as "ed.line_items[1].product_price".

    `expected` or `observed` is UNDEFINED when that side has no value there.
    """

    path: str
    expected: Any
    observed: Any
    reason: str


def show(value: Any) -> str:
    """Format a value for a reason text as JSON, with email addresses replaced by their hash."""
    if value is UNDEFINED:
        return "nothing"
    text = dumps(_mask_emails(value))
    if len(text) > _MAX_SHOWN:
        return text[: _MAX_SHOWN - 3] + "..."
    return text


def _mask_emails(value: Any) -> Any:
    if looks_like_email(value):
        return f"<email address, sha256 {hash_identity(value)}>"
    if isinstance(value, dict):
        return {key: _mask_emails(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_mask_emails(item) for item in value]
    return value


def compare_request(event: ExpectedEvent, request: TagRequest, options: MatchOptions) -> tuple[list[Difference], list[str]]:
    """Return the failing differences and the notes between an expected event and a request."""
    differences: list[Difference] = []
    notes = [f"decode problem: {problem}" for problem in request.problems]
    if event.endpoint != request.endpoint:
        differences.append(
            Difference("endpoint", event.endpoint, request.endpoint, f"endpoint: expected /{event.endpoint}/, observed {request.endpoint}")
        )
    if event.endpoint == "v3":
        _compare_event_name(event.event, request.event, differences)
    elif event.dep != request.params.get("dep"):
        observed_dep = request.params.get("dep", UNDEFINED)
        differences.append(Difference("dep", event.dep, observed_dep, f"dep: expected {show(event.dep)}, observed {show(observed_dep)}"))
    if event.tid != request.tid:
        differences.append(Difference("tid", event.tid, request.tid, f"tid: expected {show(event.tid)}, observed {show(request.tid)}"))
    if event.endpoint == "v3":
        _compare_event_data(event, request, options, differences, notes)
    _compare_partner_data(event, request, options, differences, notes)
    _compare_params(event, request, options, differences, notes)
    return differences, notes


def _compare_event_name(expected: str | None, observed: str | None, differences: list[Difference]) -> None:
    observed_text = "no event parameter" if observed is None else show(observed)
    if expected is None:
        if observed is not None:
            differences.append(Difference("event", None, observed, f"event: expected no event parameter, observed {observed_text}"))
        return
    if is_standard_event(expected):
        if observed is None or observed.lower() != expected.lower():
            reason = f"event: expected {show(expected)} (a standard name, any letter case), observed {observed_text}"
            differences.append(Difference("event", expected, observed, reason))
        return
    if observed != expected:
        reason = f"event: expected {show(expected)} exactly (a partner-defined name), observed {observed_text}"
        differences.append(Difference("event", expected, observed, reason))


def _undecodable(request: TagRequest, name: str, differences: list[Difference]) -> bool:
    """Add a difference when a JSON parameter was sent but could not be decoded."""
    if getattr(request, name) is None and name in request.raw:
        raw = request.raw[name]
        differences.append(Difference(name, UNDEFINED, raw, f"{name}: not valid JSON, so it cannot be compared (raw text {show(raw)})"))
        return True
    return False


def _compare_event_data(
    event: ExpectedEvent, request: TagRequest, options: MatchOptions, differences: list[Difference], notes: list[str]
) -> None:
    if _undecodable(request, "ed", differences):
        return
    observed = request.ed if request.ed is not None else {}
    expected = event.ed if event.ed is not None else {}
    if not isinstance(observed, dict):
        differences.append(Difference("ed", expected, observed, f"ed: expected an object, observed {show(observed)}"))
        return
    compare_values("ed", expected, observed, options.strict, differences, notes)


def compare_values(path: str, expected: Any, observed: Any, strict: bool, differences: list[Difference], notes: list[str]) -> None:
    """Compare two JSON values recursively, adding a Difference for each mismatch."""
    if isinstance(expected, dict) and isinstance(observed, dict):
        for key, value in expected.items():
            if key not in observed:
                differences.append(Difference(f"{path}.{key}", value, UNDEFINED, f"{path}.{key}: missing, expected {show(value)}"))
            else:
                compare_values(f"{path}.{key}", value, observed[key], strict, differences, notes)
        for key, value in observed.items():
            if key not in expected:
                _extra(f"{path}.{key}", value, strict, differences, notes)
        return
    if isinstance(expected, list) and isinstance(observed, list):
        for index in range(max(len(expected), len(observed))):
            item_path = f"{path}[{index}]"
            if index >= len(observed):
                reason = f"{item_path}: missing item, expected {show(expected[index])}"
                differences.append(Difference(item_path, expected[index], UNDEFINED, reason))
            elif index >= len(expected):
                reason = f"{item_path}: extra item, observed {show(observed[index])}"
                differences.append(Difference(item_path, UNDEFINED, observed[index], reason))
            else:
                compare_values(item_path, expected[index], observed[index], strict, differences, notes)
        return
    if not same_scalar(expected, observed):
        differences.append(Difference(path, expected, observed, f"{path}: expected {show(expected)}, observed {show(observed)}"))


def same_scalar(expected: Any, observed: Any) -> bool:
    """Tell whether two JSON values are equal, numbers by value and booleans apart from numbers."""
    if isinstance(expected, bool) or isinstance(observed, bool):
        return expected is observed
    if isinstance(expected, (int, float)) and isinstance(observed, (int, float)):
        return expected == observed
    return type(expected) is type(observed) and expected == observed


def _extra(path: str, value: Any, strict: bool, differences: list[Difference], notes: list[str]) -> None:
    if strict:
        differences.append(Difference(path, UNDEFINED, value, f"{path}: not expected, observed {show(value)}"))
    else:
        notes.append(f"{path}: not expected, observed {show(value)} (ignored outside strict mode)")


def _compare_partner_data(
    event: ExpectedEvent, request: TagRequest, options: MatchOptions, differences: list[Difference], notes: list[str]
) -> None:
    if _undecodable(request, "pd", differences):
        return
    observed = request.pd if request.pd is not None else {}
    if not isinstance(observed, dict):
        differences.append(Difference("pd", event.pd, observed, f"pd: expected an object, observed {show(observed)}"))
        return
    for key, value in event.pd.items():
        if key in IDENTITY_KEYS:
            _compare_identity(event, key, value, observed.get(key, UNDEFINED), differences)
        elif key not in observed:
            differences.append(Difference(f"pd.{key}", value, UNDEFINED, f"pd.{key}: missing, expected {show(value)}"))
        else:
            compare_values(f"pd.{key}", value, observed[key], options.strict, differences, notes)
    ignored = frozenset() if options.strict else options.ignored_partner_keys
    for key, value in observed.items():
        if key in event.pd or key in ignored:
            continue
        if key in IDENTITY_KEYS:
            reason = f"{key} not expected: no load or set gave {key} on this page before {event.origin}, but pd.{key} is {show(value)}"
            differences.append(Difference(f"pd.{key}", UNDEFINED, value, reason))
        else:
            _extra(f"pd.{key}", value, options.strict, differences, notes)


def _compare_identity(event: ExpectedEvent, key: str, expected: Any, observed: Any, differences: list[Difference]) -> None:
    origin = event.pd_origins.get(key, event.origin)
    if observed is UNDEFINED:
        differences.append(Difference(f"pd.{key}", expected, UNDEFINED, f"{key} expected: {origin}, but pd has no {key}"))
    elif observed != expected:
        reason = f"{key} expected: {origin}, but pd.{key} is {show(observed)} instead of {show(expected)}"
        differences.append(Difference(f"pd.{key}", expected, observed, reason))


def _compare_params(
    event: ExpectedEvent, request: TagRequest, options: MatchOptions, differences: list[Difference], notes: list[str]
) -> None:
    ignored = frozenset() if options.strict else options.ignored_params
    for name, value in request.params.items():
        if name in ignored or (event.endpoint == "user" and name == "dep"):
            continue
        _extra(f"params.{name}", value, options.strict, differences, notes)
    if options.strict and event.endpoint == "v3":
        if request.ad is None and "ad" not in request.raw:
            differences.append(Difference("ad", "browser data", UNDEFINED, "ad: missing, the tag sends browser data with every event"))
        if request.cb is None:
            differences.append(Difference("cb", "cache buster", UNDEFINED, "cb: missing, the tag sends a cache buster with every event"))
