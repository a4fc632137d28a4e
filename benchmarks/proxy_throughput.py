"""Measure decoded requests per second through mitmproxy with the capture addon.

Starts the proxy on 127.0.0.1 (`mitmdump -s harness/capture/mitm_addon.py`
by default, or the harness's in-process CaptureProxy with --runner
in-process), sends a fixed number of plain-HTTP /v3/ checkout requests for
ct.pinterest.com over a few keep-alive connections, and counts the records in
the JSON-lines file. The proxy responds to every request itself, so nothing
leaves the machine.

    python3 benchmarks/proxy_throughput.py --requests 5000 --connections 4
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import queue
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import mitmproxy.version

from harness.capture import mitm_addon
from harness.capture.proxy import CaptureProxy

CHECKOUT_QUERY = (
    "tid=2612345678901&event=checkout"
    "&ed=%7B%22value%22%3A116%2C%22currency%22%3A%22USD%22%2C%22order_quantity%22%3A2%2C%22line_items%22%3A"
    "%5B%7B%22product_id%22%3A%2211%22%2C%22product_price%22%3A48%7D%2C%7B%22product_id%22%3A%2215%22%2C"
    "%22product_price%22%3A68%7D%5D%7D"
    "&pd=%7B%22np%22%3A%22segment%22%2C%22em%22%3A%22f660ab912ec121d1b1e928a0bb4bc61b15f5ad44d5efdc4e1c92a25e99b8e44a%22%7D"
    "&ad=%7B%22loc%22%3A%22https%3A%2F%2Fshop.example%2Fcheckout%22%2C%22ref%22%3A%22%22%2C%22if%22%3Afalse%2C"
    "%22sh%22%3A1080%2C%22sw%22%3A1920%7D"
)
READY_TIMEOUT = 30.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=5000, help="total requests to send (default 5000)")
    parser.add_argument("--connections", type=int, default=4, help="concurrent keep-alive connections (default 4)")
    parser.add_argument(
        "--runner",
        choices=("mitmdump", "in-process", "mitmdump-bare"),
        default="mitmdump",
        help=(
            "run the addon in a mitmdump subprocess (default) or in this process with CaptureProxy; "
            "mitmdump-bare responds with a one-line addon that decodes nothing, as a baseline"
        ),
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="pintrk-bench-") as workdir:
        jsonl = Path(workdir) / "events.jsonl"
        if args.runner in ("mitmdump", "mitmdump-bare"):
            process = start_mitmdump(Path(workdir), jsonl, bare=args.runner == "mitmdump-bare")
            try:
                port = wait_until_ready(process)
                result = send_load(port, args.requests, args.connections)
            finally:
                process.terminate()
                process.wait(timeout=READY_TIMEOUT)
        else:
            with CaptureProxy(Path(workdir) / "mitmproxy", offline=True, jsonl=jsonl) as proxy:
                result = send_load(proxy.port, args.requests, args.connections)
        decoded = count_decoded(jsonl) if args.runner != "mitmdump-bare" else args.requests - len(result["errors"])

    print_report(args, result, decoded)
    return 0 if decoded == args.requests and not result["errors"] else 1


# The baseline: respond to every request at once, decode and record nothing.
BARE_ADDON = """
import logging
from mitmproxy import http
from harness.capture.mitm_addon import TRANSPARENT_GIF

class Respond:
    def running(self):
        logging.info("pintrk capture: responding to requests for every host locally (bare baseline)")

    def request(self, flow):
        flow.response = http.Response.make(200, TRANSPARENT_GIF, {"Content-Type": "image/gif"})

addons = [Respond()]
"""


def start_mitmdump(workdir: Path, jsonl: Path, bare: bool = False) -> subprocess.Popen:
    script = mitm_addon.__file__
    if bare:
        script = str(workdir / "bare_addon.py")
        Path(script).write_text(BARE_ADDON, encoding="utf-8")
    command = [
        "mitmdump", "-s", script,
        "--listen-host", "127.0.0.1", "--listen-port", "0",
        "--set", f"confdir={workdir / 'mitmproxy'}",
        "--set", "connection_strategy=lazy",
        "--set", "pintrk_offline=true",
        "--set", f"pintrk_jsonl={jsonl}",
        "--set", "flow_detail=0",
    ]  # fmt: skip
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def wait_until_ready(process: subprocess.Popen) -> int:
    """Read mitmdump's output until it listens and the addon reports in; return the port.

    Without the addon mitmdump would forward the requests upstream, so none is
    sent before its line arrives. The rest of the output is drained on a thread.
    """
    lines: queue.Queue[str | None] = queue.Queue()

    def read() -> None:
        for line in process.stdout:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=read, daemon=True).start()
    deadline = time.monotonic() + READY_TIMEOUT
    port = None
    seen = []
    while True:
        try:
            line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            raise RuntimeError(f"mitmdump was not ready within {READY_TIMEOUT} seconds; output:\n{''.join(seen)}") from None
        if line is None:
            raise RuntimeError(f"mitmdump exited before it was ready; output:\n{''.join(seen)}")
        seen.append(line)
        if match := re.search(r"proxy listening at 127\.0\.0\.1:(\d+)", line):
            port = int(match[1])
        elif "pintrk capture: responding to requests" in line and port is not None:
            return port


def send_load(port: int, total: int, connections: int) -> dict:
    """Send `total` requests over `connections` threads; return timings and errors."""
    latencies: list[list[float]] = [[] for _ in range(connections)]
    errors: list[str] = []

    def worker(index: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        for number in range(index, total, connections):
            started = time.perf_counter()
            try:
                connection.request("GET", f"http://ct.pinterest.com/v3/?{CHECKOUT_QUERY}&cb={number}")
                response = connection.getresponse()
                response.read()
                if response.status != 200:
                    errors.append(f"request {number}: status {response.status}")
            except (OSError, http.client.HTTPException) as error:
                errors.append(f"request {number}: {error!r}")
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            latencies[index].append(time.perf_counter() - started)
        connection.close()

    threads = [threading.Thread(target=worker, args=(index,)) for index in range(connections)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    return {"elapsed": elapsed, "latencies": sorted(sum(latencies, [])), "errors": errors}


def count_decoded(jsonl: Path) -> int:
    """Count checkout records without problems; the addon writes each one before it responds."""
    count = 0
    with jsonl.open(encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            if record["event"] == "checkout" and not record["problems"]:
                count += 1
    return count


def print_report(args: argparse.Namespace, result: dict, decoded: int) -> None:
    latencies = result["latencies"]
    print(f"runner:        {args.runner} (mitmproxy {mitmproxy.version.VERSION}, Python {platform.python_version()})")
    print(f"machine:       {cpu_model()}, {os.cpu_count()} logical CPUs, {platform.system()} {platform.release()}")
    print(f"requests:      {args.requests} over {args.connections} keep-alive connections")
    print(f"elapsed:       {result['elapsed']:.2f} s")
    counted = "responded to (nothing decoded)" if args.runner == "mitmdump-bare" else "decoded"
    print(f"throughput:    {decoded / result['elapsed']:.0f} {counted} requests/s")
    print(f"latency:       median {statistics.median(latencies) * 1000:.1f} ms, "
          f"p95 {latencies[int(len(latencies) * 0.95)] * 1000:.1f} ms")  # fmt: skip
    print(f"decoded:       {decoded} of {args.requests}")
    print(f"errors:        {len(result['errors'])}")
    for error in result["errors"][:5]:
        print(f"  {error}")


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


if __name__ == "__main__":
    sys.exit(main())
