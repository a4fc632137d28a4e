"""The capture addon's handlers, called directly on test flows (no network), as mitmproxy's own addon tests do."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from mitmproxy import exceptions, http
from mitmproxy.addons import onboarding, proxyserver
from mitmproxy.test import taddons, tflow

from harness.capture.mitm_addon import TRANSPARENT_GIF, PintrkCapture, is_loopback, parse_hosts
from harness.wire import TagRequest, decode_request

QUERY = "tid=2612345678901&event=addtocart&ed=%7B%22value%22%3A%2210.50%22%7D"


def make_flow(url: str, method: str = "GET", headers: dict[str, str] | None = None, body: bytes = b"", live: bool = True) -> http.HTTPFlow:
    flow = tflow.tflow(live=live)
    flow.request = http.Request.make(method, url, body, headers or {})
    return flow


class Recorder:
    """An on_request callback that keeps what it receives."""

    def __init__(self) -> None:
        self.received: list[tuple[TagRequest, str]] = []

    def __call__(self, request: TagRequest, client: str) -> None:
        self.received.append((request, client))


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def addon(recorder: Recorder) -> PintrkCapture:
    return PintrkCapture(on_request=recorder)


def context(addon: PintrkCapture, **option_values) -> taddons.context:
    tctx = taddons.context(proxyserver.Proxyserver(), onboarding.Onboarding(), addon)
    tctx.configure(addon, **option_values)
    return tctx


def test_v3_responded_and_recorded(addon: PintrkCapture, recorder: Recorder) -> None:
    url = f"https://ct.pinterest.com/v3/?{QUERY}"
    flow = make_flow(url)
    with context(addon):
        addon.request(flow)
    assert flow.response.status_code == 200
    assert flow.response.content == TRANSPARENT_GIF
    assert flow.response.headers["cache-control"] == "no-store"
    assert recorder.received[0][0].to_json() == decode_request(url).to_json()
    assert recorder.received[0][1] == "127.0.0.1:22"


def test_user_without_origin(addon: PintrkCapture) -> None:
    flow = make_flow("https://ct.pinterest.com/user/?tid=1&event=init")
    with context(addon):
        addon.request(flow)
    assert flow.response.content == b"{}"
    assert "access-control-allow-origin" not in flow.response.headers


def test_passthrough_records_without_response(addon: PintrkCapture, recorder: Recorder) -> None:
    flow = make_flow(f"https://ct.pinterest.com/v3/?{QUERY}")
    with context(addon, pintrk_passthrough=True):
        addon.request(flow)
    assert flow.response is None
    assert recorder.received[0][0].event == "addtocart"


def test_other_hosts_untouched(addon: PintrkCapture, recorder: Recorder) -> None:
    flow = make_flow(f"https://www.pinterest.com/v3/?{QUERY}")
    with context(addon):
        addon.request(flow)
    assert flow.response is None
    assert recorder.received == []


def test_saved_flow_recorded_only(addon: PintrkCapture, recorder: Recorder) -> None:
    flow = make_flow(f"https://ct.pinterest.com/v3/?{QUERY}", live=False)
    with context(addon):
        addon.request(flow)
    assert flow.response is None
    assert recorder.received[0][0].event == "addtocart"


def test_other_addon_response_kept(addon: PintrkCapture, recorder: Recorder) -> None:
    flow = make_flow(f"https://ct.pinterest.com/v3/?{QUERY}")
    flow.response = http.Response.make(418)
    with context(addon):
        addon.request(flow)
    assert flow.response.status_code == 418
    assert len(recorder.received) == 1


def test_listed_test_host_decoded_as_tag_host(addon: PintrkCapture, recorder: Recorder) -> None:
    url = f"http://127.0.0.1:8123/v3/?{QUERY}"
    with context(addon, pintrk_hosts=["127.0.0.1"]):
        addon.request(make_flow(url))
    request = recorder.received[0][0]
    assert request.url == url
    assert request.endpoint == "v3"
    assert request.problems == []


@pytest.mark.parametrize(
    "host, blocked",
    [("shop.example", True), ("s.pinimg.com", True), ("127.0.0.1", False), ("localhost", False), ("mitm.it", False)],
)
def test_offline_blocking(addon: PintrkCapture, host: str, blocked: bool) -> None:
    flow = make_flow(f"http://{host}/page")
    with context(addon, pintrk_offline=True):
        addon.request(flow)
    status = flow.response.status_code if flow.response is not None else None
    assert (status == 502) == blocked


def test_offline_blocks_connect(addon: PintrkCapture) -> None:
    flow = make_flow("https://shop.example/")
    flow.request.method = "CONNECT"
    with context(addon, pintrk_offline=True):
        addon.http_connect(flow)
    assert flow.response.status_code == 502


def test_callback_error_logged(addon: PintrkCapture, caplog: pytest.LogCaptureFixture) -> None:
    def broken(request: TagRequest, client: str) -> None:
        raise ValueError("broken callback")

    addon.on_request = broken
    flow = make_flow(f"https://ct.pinterest.com/v3/?{QUERY}")
    with context(addon), caplog.at_level(logging.WARNING, logger="harness.capture.mitm_addon"):
        addon.request(flow)
    assert flow.response.status_code == 200
    assert addon.error_counts["callback"] == 1
    assert "broken callback" in caplog.text


def test_jsonl_appends_records(addon: PintrkCapture, tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_text('{"earlier": true}\n', encoding="utf-8")
    with context(addon, pintrk_jsonl=str(path)):
        addon.request(make_flow(f"https://ct.pinterest.com/v3/?{QUERY}"))
        addon.done()
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2
    assert json.loads(lines[1])["ed"] == {"value": "10.50"}


def test_unwritable_jsonl_rejected(addon: PintrkCapture, tmp_path: Path) -> None:
    with pytest.raises(exceptions.OptionsError, match="pintrk_jsonl: cannot open"):
        context(addon, pintrk_jsonl=str(tmp_path / "missing" / "events.jsonl"))


def test_eager_strategy_warned(addon: PintrkCapture, caplog: pytest.LogCaptureFixture) -> None:
    with context(addon, connection_strategy="eager"), caplog.at_level(logging.WARNING):
        addon.running()
    assert "connection_strategy=lazy" in caplog.text


def test_lazy_strategy_not_warned(addon: PintrkCapture, caplog: pytest.LogCaptureFixture) -> None:
    with context(addon, connection_strategy="lazy"), caplog.at_level(logging.WARNING):
        addon.running()
    assert caplog.text == ""


def test_parse_hosts_normalises() -> None:
    assert parse_hosts(["CT.Pinterest.com.", " ct.pinterest.com "]) == frozenset({"ct.pinterest.com"})


@pytest.mark.parametrize("value", ["", "https://ct.pinterest.com", "ct.pinterest.com:443", "ct.pinterest.com/v3/"])
def test_parse_hosts_rejects(value: str) -> None:
    with pytest.raises(ValueError, match="pintrk_hosts"):
        parse_hosts([value])


@pytest.mark.parametrize(
    "host, expected",
    [("localhost", True), ("127.0.0.2", True), ("::1", True), ("[::1]", True), ("10.0.0.1", False), ("ct.pinterest.com", False)],
)
def test_is_loopback(host: str, expected: bool) -> None:
    assert is_loopback(host) == expected


def test_record_error_logged(addon: PintrkCapture, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken_summary(request: TagRequest, client: str) -> str:
        raise KeyError("summary")

    monkeypatch.setattr("harness.capture.mitm_addon.summary_line", broken_summary)
    flow = make_flow("https://ct.pinterest.com/v3/?tid=1&event=lead&pd=%7B%22em%22%3A%22jo%40example.com%22%7D")
    with context(addon), caplog.at_level(logging.WARNING, logger="harness.capture.mitm_addon"):
        addon.request(flow)
    assert flow.response.status_code == 200
    assert addon.error_counts["record"] == 1
    assert "could not decode or record" in caplog.text
    assert "jo%40example.com" not in caplog.text
