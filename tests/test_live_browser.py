"""Chromium flags for live runs: host mapping, only mapped hosts, the proxy and trusted certificates."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from harness.live_browser import LaunchPlan, chromium_flags, host_resolver_rules, parse_host_mapping


@pytest.mark.parametrize(
    "text, expected",
    [
        ("shop.example=127.0.0.1:8000", ("shop.example", "127.0.0.1:8000")),
        ("Shop.Example.=127.0.0.1", ("shop.example", "127.0.0.1")),
        ("www.shop.example=[::1]:8443", ("www.shop.example", "[::1]:8443")),
        ("shop.example=staging.internal:443", ("shop.example", "staging.internal:443")),
    ],
)
def test_host_mapping_parsed(text: str, expected: tuple[str, str]) -> None:
    assert parse_host_mapping(text) == expected


@pytest.mark.parametrize(
    "text, message",
    [
        ("shop.example", "is not HOST=ADDRESS[:PORT]"),
        ("=127.0.0.1", "is not HOST=ADDRESS[:PORT]"),
        ("*=127.0.0.1", "'*' is not a host name"),
        ("https://shop.example/=127.0.0.1", "is not a host name"),
        ("shop.example=127.0.0.1:0", "port '0' is not a number between 1 and 65535"),
        ("shop.example=127.0.0.1:http", "port 'http' is not a number"),
        ("shop.example=[::1]x", "write an IPv6 address in brackets"),
        ("shop.example=[::1", "write an IPv6 address in brackets"),
    ],
)
def test_host_mapping_rejected(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]").replace("*", r"\*")):
        parse_host_mapping(text)


def test_rules_map_hosts() -> None:
    rules = host_resolver_rules({"shop.example": "127.0.0.1:8000", "cdn.example": "127.0.0.1:8001"}, False)
    assert rules == "MAP shop.example 127.0.0.1:8000, MAP cdn.example 127.0.0.1:8001"


def test_rules_only_mapped() -> None:
    rules = host_resolver_rules({"shop.example": "127.0.0.1:8000"}, True)
    assert rules == "MAP shop.example 127.0.0.1:8000, MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1, EXCLUDE [::1]"


def test_no_rules_without_mapping() -> None:
    assert host_resolver_rules({}, False) is None


def test_flags_for_proxy() -> None:
    proxy = SimpleNamespace(url="http://127.0.0.1:9000", spki_hash="proxyhash=")
    plan = LaunchPlan(capture="proxy", host_map={"shop.example": "127.0.0.1:8000"}, trusted_spki=["vendorhash="])
    flags = chromium_flags(plan, proxy)
    assert flags == [
        "--host-resolver-rules=MAP shop.example 127.0.0.1:8000",
        "--proxy-server=http://127.0.0.1:9000",
        "--proxy-bypass-list=shop.example",
        "--ignore-certificate-errors-spki-list=vendorhash=,proxyhash=",
    ]


def test_flags_extra_args_last() -> None:
    plan = LaunchPlan(chromium_args=["--lang=de"])
    assert chromium_flags(plan, None) == ["--lang=de"]


@pytest.mark.parametrize(
    "plan, own",
    [
        (LaunchPlan(), False),
        (LaunchPlan(capture="proxy"), True),
        (LaunchPlan(host_map={"a.example": "127.0.0.1"}), True),
        (LaunchPlan(only_mapped_hosts=True), True),
        (LaunchPlan(trusted_spki=["x"]), True),
    ],
)
def test_own_browser_needed(plan: LaunchPlan, own: bool) -> None:
    assert plan.needs_own_browser is own
