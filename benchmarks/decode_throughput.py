"""Measure the decoder: requests decoded per second, and HAR reading speed and memory.

Run from the repository root:

    python3 benchmarks/decode_throughput.py

1. Decodes every request of ../shared/vectors/wire-captures.txt over and over
   on one core and prints requests per second (best and median of 5 runs).
   Rates use the process's CPU time, so other work on the machine changes
   them less than it would change wall-clock rates.
2. Writes a HAR of 100,000 Chrome-style entries to a temporary directory.
   A third of them are Pinterest tag requests and the rest other page
   resources. It reads the file with harness.capture.har and prints entries
   per second, the peak of Python allocations while reading (tracemalloc),
   and the peak resident memory of a new process that only reads the file.

The package must be importable (pip install -e .).
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from harness.capture.har import read_har
from harness.wire import decode_request

CAPTURES_PATH = Path(__file__).resolve().parents[2] / "shared" / "vectors" / "wire-captures.txt"
RUNS = 5


def read_captures() -> list[tuple[str, str, str | None]]:
    captures = []
    for line in CAPTURES_PATH.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        words = line.split(" ", 2)
        captures.append((words[0], words[1], words[2] if len(words) == 3 else None))
    return captures


def measure_decoding(captures: list[tuple[str, str, str | None]], repeat: int) -> list[float]:
    """Return requests per CPU second for each of RUNS runs over the repeated captures."""
    batch = captures * repeat
    rates = []
    for _ in range(RUNS):
        started = time.process_time()
        for method, url, body in batch:
            decode_request(url, method, body)
        rates.append(len(batch) / (time.process_time() - started))
    return rates


def har_entry(url: str, method: str, body: str | None, mime_type: str, index: int) -> dict:
    request: dict = {
        "method": method,
        "url": url,
        "httpVersion": "http/2.0",
        "headers": [
            {"name": ":authority", "value": url.split("/")[2]},
            {"name": ":method", "value": method},
            {"name": "accept", "value": "*/*"},
            {"name": "accept-language", "value": "en-GB,en;q=0.9"},
            {"name": "referer", "value": "https://shop.example/"},
            {"name": "user-agent", "value": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"},
        ],
        "queryString": [],
        "cookies": [],
        "headersSize": -1,
        "bodySize": 0 if body is None else len(body),
    }
    if body is not None:
        request["postData"] = {"mimeType": "application/x-www-form-urlencoded", "text": body}
    return {
        "_initiator": {"type": "script", "url": "https://s.pinimg.com/ct/lib/main.js"},
        "_priority": "Low",
        "_resourceType": "image",
        "cache": {},
        "connection": "443",
        "pageref": "page_1",
        "request": request,
        "response": {
            "status": 200,
            "statusText": "",
            "httpVersion": "http/2.0",
            "headers": [{"name": "content-type", "value": mime_type}, {"name": "cache-control", "value": "no-cache"}],
            "cookies": [],
            "content": {"size": 43, "mimeType": mime_type},
            "redirectURL": "",
            "headersSize": -1,
            "bodySize": 43,
            "_transferSize": 120,
        },
        "serverIPAddress": "127.0.0.1",
        "startedDateTime": f"2024-03-01T10:{index // 60000 % 60:02d}:{index // 1000 % 60:02d}.{index % 1000:03d}Z",
        "time": 12.5,
        "timings": {"blocked": 1.2, "dns": -1, "ssl": -1, "connect": -1, "send": 0.1, "wait": 10.3, "receive": 0.9},
    }


def write_har(path: Path, captures: list[tuple[str, str, str | None]], count: int) -> int:
    """Write a HAR of `count` entries, one at a time, and return the number of Pinterest entries."""
    pinterest = 0
    with path.open("w", encoding="utf-8") as handle:
        handle.write('{"log": {"version": "1.2", "creator": {"name": "WebInspector", "version": "537.36"}, ')
        handle.write('"pages": [{"startedDateTime": "2024-03-01T10:00:00.000Z", "id": "page_1", "title": "https://shop.example/", "pageTimings": {}}], ')
        handle.write('"entries": [')
        for index in range(count):
            if index % 3 == 0:
                method, url, body = captures[index // 3 % len(captures)]
                entry = har_entry(url, method, body, "image/gif", index)
                pinterest += 1
            else:
                entry = har_entry(f"https://shop.example/assets/{index}.js", "GET", None, "text/javascript", index)
            handle.write(("," if index else "") + json.dumps(entry))
        handle.write("]}}")
    return pinterest


def measure_har(path: Path) -> tuple[int, float, int]:
    """Return the requests read, the CPU seconds taken and the tracemalloc peak in bytes."""
    started = time.process_time()
    read = sum(1 for _ in read_har(path))
    elapsed = time.process_time() - started

    tracemalloc.start()
    try:
        sum(1 for _ in read_har(path))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return read, elapsed, peak


def child_max_rss(path: Path) -> tuple[int, int]:
    """Return the peak resident memory in kB of a new process before and after it reads the HAR."""
    code = (
        "import resource, sys\n"
        "from harness.capture.har import read_har\n"
        "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "sum(1 for _ in read_har(sys.argv[1]))\n"
        "print(before, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n"
    )
    result = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=True)
    before, after = result.stdout.split()
    return int(before), int(after)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=10_000, help="how many times each capture is decoded per run (default 10000)")
    parser.add_argument("--entries", type=int, default=100_000, help="number of entries in the generated HAR (default 100000)")
    args = parser.parse_args()

    captures = read_captures()
    # The input batch lives through every run, so the collector need not rescan it.
    gc.freeze()
    rates = measure_decoding(captures, args.repeat)
    print(f"decode_request: {len(captures)} captures x {args.repeat}, {RUNS} runs")
    print(f"  best   {max(rates):,.0f} requests per CPU second")
    print(f"  median {statistics.median(rates):,.0f} requests per CPU second")

    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "generated.har"
        pinterest = write_har(path, captures, args.entries)
        size = path.stat().st_size
        read, elapsed, peak = measure_har(path)
        rss_before, rss_after = child_max_rss(path)
    assert read == pinterest, f"read {read} Pinterest requests, wrote {pinterest}"
    print(f"read_har: {args.entries:,} entries ({pinterest:,} Pinterest requests), {size / 1e6:,.1f} MB")
    print(
        f"  {args.entries / elapsed:,.0f} entries per CPU second "
        f"({pinterest / elapsed:,.0f} Pinterest requests per CPU second), {elapsed:.2f} CPU seconds"
    )
    print(f"  peak Python allocations while reading (tracemalloc): {peak / 1e6:,.2f} MB")
    print(
        f"  peak resident memory of a process that only reads the file: {rss_after / 1e3:,.1f} MB "
        f"({rss_before / 1e3:,.1f} MB after imports, before reading)"
    )


if __name__ == "__main__":
    main()
