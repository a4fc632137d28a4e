"""Measure what `check` costs over a bare Playwright script doing the same steps.

Both run the bundled demo shop in one Chromium, alternately, several times:

- check: harness.check.run_check on sites/demo-shop.yaml, as the command runs it.
- bare, same wait: a plain Playwright script with the fewest routes that let
  the shop work offline, performing the same steps and, after each, waiting
  as check does: until no Segment or Pinterest request has been in flight for
  check's quiet period. The ratio against it is the harness's own overhead.
- bare, known counts: the same script, but after each step it waits only for
  the number of /v3/ requests the check saw that step produce. It cannot
  notice an extra request, so the ratio against it includes the price of
  check's quiet period.

Prints each run's seconds, the medians, and the ratios (check / bare).
Usage: python3 benchmarks/check_overhead.py [--runs N]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path
from urllib.parse import urlsplit

from harness.browser import HarnessBrowser
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from harness.check import QUIET_MS, CheckOptions, run_check
from harness.commands.check import DEMO_SHOP
from harness.fixture_server import FIXTURES_DIR
from harness.sites import FIXTURE_SCHEME, load_profile

PIXEL = bytes.fromhex("47494638396101000100800000000000ffffff21f90401000000002c00000000010001000002024401003b")


def bare_route(fixture_settings: dict, origin_of_page: list[str]):
    """Answer Segment's and Pinterest's hosts with the fixtures, as little as will work."""
    analytics = (FIXTURES_DIR / "segment" / "analytics.js").read_bytes()
    core = (FIXTURES_DIR / "pinterest" / "core.js").read_bytes()

    def handle(route, request):
        parts = urlsplit(request.url)
        host = parts.hostname or ""
        cors = {"access-control-allow-origin": request.headers.get("origin", "*"), "access-control-allow-credentials": "true"}
        if host == "cdn.segment.com" and parts.path.endswith(".js"):
            route.fulfill(body=analytics, content_type="text/javascript")
        elif host == "cdn.segment.com":
            route.fulfill(body=json.dumps({"integrations": {"Pinterest Tag": fixture_settings}}), content_type="application/json", headers=cors)
        elif host == "api.segment.io":
            route.fulfill(body='{"success": true}', content_type="application/json", headers=cors)
        elif host == "s.pinimg.com":
            route.fulfill(body=core, content_type="text/javascript")
        elif host == "ct.pinterest.com" and parts.path.startswith("/user"):
            route.fulfill(body="{}", content_type="application/json", headers=cors)
        elif host == "ct.pinterest.com":
            route.fulfill(body=PIXEL, content_type="image/gif")
        else:
            route.abort()

    return handle


def _is_tracked(request) -> bool:
    host = urlsplit(request.url).hostname or ""
    return host.endswith(("segment.com", "segment.io", "pinterest.com", "pinimg.com"))


def run_bare(harness_browser: HarnessBrowser, profile, fixture_settings: dict, targets: list[int] | None) -> float:
    """Run the profile's steps with plain Playwright.

    With `targets`, wait for targets[i] /v3/ requests after step i; without,
    wait for check's quiet period after each step.
    """
    started = time.perf_counter()
    context = harness_browser.browser.new_context(base_url=harness_browser.fixture_server.url, timezone_id="UTC")
    context.route(lambda url: not url.startswith(harness_browser.fixture_server.origin), bare_route(fixture_settings, []))
    seen = []
    in_flight = set()
    last_activity = [time.monotonic()]

    def started_request(request) -> None:
        if "ct.pinterest.com/v3" in request.url:
            seen.append(request)
        if _is_tracked(request):
            in_flight.add(request)
            last_activity[0] = time.monotonic()

    def ended_request(request) -> None:
        if request in in_flight:
            in_flight.discard(request)
            last_activity[0] = time.monotonic()

    context.on("request", started_request)
    context.on("requestfinished", ended_request)
    context.on("requestfailed", ended_request)
    page = context.new_page()
    page.on("framenavigated", lambda frame: last_activity.__setitem__(0, time.monotonic()))

    def wait_quiet() -> None:
        idle = QUIET_MS / 1000
        while True:
            quiet_for = time.monotonic() - last_activity[0]
            if not in_flight and quiet_for >= idle:
                return
            event = "requestfinished" if in_flight else "request"
            try:
                context.wait_for_event(event, timeout=max(1, (idle - quiet_for) * 1000) if not in_flight else 15_000)
            except PlaywrightTimeoutError:
                pass

    def wait_for(count: int) -> None:
        if targets is None:
            last_activity[0] = time.monotonic()
            wait_quiet()
            return
        while len(seen) < count:
            context.wait_for_event("request", timeout=15_000)

    page.goto(profile.start_url[len(FIXTURE_SCHEME):])
    counts = targets or [0] * (len(profile.steps) + 1)
    wait_for(counts[0])
    for step, target in zip(profile.steps, counts[1:]):
        value = step.value
        if step.action == "goto":
            page.goto(value[len(FIXTURE_SCHEME):])
        elif step.action == "click":
            page.click(value)
        elif step.action == "fill":
            page.fill(value["selector"], value["value"])
        elif step.action == "select":
            page.select_option(value["selector"], value["value"])
        wait_for(target)
    context.close()
    return time.perf_counter() - started


def v3_targets(result) -> list[int]:
    """Count the /v3/ requests observed by the end of each step, from a check result."""
    times = sorted(
        verdict.observed.time
        for verification in result.pages
        for verdict in verification.match.verdicts
        if verdict.observed is not None and verdict.observed.endpoint == "v3" and verdict.observed.time is not None
    )
    return [sum(1 for moment in times if moment < step.finished) for step in result.steps]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs of each, alternating (default 5)")
    args = parser.parse_args()

    profile = load_profile(DEMO_SHOP)
    fixture_settings = json.loads(Path(profile.fixture_settings).read_text())["integrations"]["Pinterest Tag"]
    check_times: list[float] = []
    bare_times: list[float] = []
    counted_times: list[float] = []
    with HarnessBrowser() as harness_browser:
        options = CheckOptions(output_dir=Path("/tmp/pintrk-benchmark"))
        warmup = run_check(profile, options, harness_browser)
        if not warmup.ok:
            raise SystemExit("the demo shop check failed; fix that before measuring")
        targets = v3_targets(warmup)
        if targets[-1] == 0:
            raise SystemExit("captured requests carry no time; cannot size the bare script's waits")
        for run in range(args.runs):
            started = time.perf_counter()
            result = run_check(profile, options, harness_browser)
            check_times.append(time.perf_counter() - started)
            bare_times.append(run_bare(harness_browser, profile, fixture_settings, None))
            counted_times.append(run_bare(harness_browser, profile, fixture_settings, targets))
            print(
                f"run {run + 1}/{args.runs}: check {check_times[-1]:.2f} s (ok={result.ok}), "
                f"bare same wait {bare_times[-1]:.2f} s, bare known counts {counted_times[-1]:.2f} s",
                flush=True,
            )

    check_median = statistics.median(check_times)
    bare_median = statistics.median(bare_times)
    counted_median = statistics.median(counted_times)
    print(f"demo shop: {len(profile.steps) + 1} steps, {targets[-1]} Pinterest events, quiet period {QUIET_MS} ms")
    print(f"medians: check {check_median:.2f} s, bare same wait {bare_median:.2f} s, bare known counts {counted_median:.2f} s")
    print(f"harness overhead: {check_median - bare_median:.2f} s per scenario, ratio {check_median / bare_median:.2f}")
    print(f"against known counts: {check_median - counted_median:.2f} s per scenario, ratio {check_median / counted_median:.2f}")


if __name__ == "__main__":
    main()
