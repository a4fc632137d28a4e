"""Run the browser-marked test suite many times and count the failures, to find flaky tests.

Each run is `python -m pytest -q -m browser -p no:cacheprovider` in its own
subprocess, from the repository root. One line of progress is printed after
each run. At the end come the number of failed runs and how often each test failed.
Exit status: 0 when every run passed, 1 when any failed, 2 for a usage error.

With --jobs N, up to N runs go at once, each with its own pytest --basetemp
folder, deleted when the run passed and otherwise at the end. Much of a browser run is spent
waiting for pages and quiet periods, so two runs at once on two cores finish
sooner than two in a row, and they also load the machine more than CI does.

Usage: python3 scripts/repeat_browser_suite.py [--runs N] [--jobs N] [--timeout SECONDS]
                                               [--keep-output DIR] [-- PYTEST-ARGS...]
"""

from __future__ import annotations

import argparse
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence, TextIO

REPOSITORY = Path(__file__).resolve().parents[1]
PYTEST_COMMAND = [sys.executable, "-m", "pytest", "-q", "-m", "browser", "-p", "no:cacheprovider"]
# pytest's exit status when every test passed, and when some failed.
PASSED = 0
TESTS_FAILED = 1
# Lines of pytest's short test summary, e.g. "FAILED tests/test_x.py::test_y - AssertionError".
SUMMARY_PREFIXES = ("FAILED ", "ERROR ")


@dataclass
class RunOutcome:
    """One run of the suite: its exit status, duration and failed tests."""

    number: int
    status: int | None  # None when the run timed out and was killed
    seconds: float
    failed: list[str] = field(default_factory=list)  # test ids, with "(error)" appended for errors
    output: str = ""

    @property
    def passed(self) -> bool:
        return self.status == PASSED


def failed_tests(output: str) -> list[str]:
    """Return the test ids that pytest's short test summary lists as failed or errored."""
    tests = []
    for line in output.splitlines():
        if not line.startswith(SUMMARY_PREFIXES):
            continue
        kind, _, rest = line.partition(" ")
        test_id = rest.split(" - ", 1)[0].strip()
        tests.append(test_id if kind == "FAILED" else f"{test_id} (error)")
    return tests


def run_once(command: Sequence[str], number: int, cwd: Path, timeout: float) -> RunOutcome:
    started = time.monotonic()
    try:
        completed = subprocess.run(
            list(command), cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired as error:
        output = _text(error.stdout) + _text(error.stderr)
        return RunOutcome(number, None, time.monotonic() - started, [], output)
    output = completed.stdout + completed.stderr
    return RunOutcome(number, completed.returncode, time.monotonic() - started, failed_tests(output), output)


def _text(value: str | bytes | None) -> str:
    if value is None:
        return ""
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


def describe_run(outcome: RunOutcome, runs: int) -> str:
    prefix = f"run {outcome.number}/{runs}"
    if outcome.status is None:
        return f"{prefix}: timed out after {outcome.seconds:.1f} s and was stopped"
    if outcome.passed:
        return f"{prefix}: passed in {outcome.seconds:.1f} s"
    if outcome.status == TESTS_FAILED and outcome.failed:
        return f"{prefix}: {len(outcome.failed)} failed in {outcome.seconds:.1f} s: {', '.join(outcome.failed)}"
    return f"{prefix}: pytest exited with status {outcome.status} after {outcome.seconds:.1f} s"


def repeat(
    command: Sequence[str],
    runs: int,
    stream: TextIO,
    *,
    cwd: Path = REPOSITORY,
    timeout: float = 1800.0,
    keep_output: Path | None = None,
    jobs: int = 1,
) -> list[RunOutcome]:
    """Run `command` `runs` times, up to `jobs` at once, printing one line per finished run to `stream`.

    With `keep_output`, the full output of each run that did not pass is
    written there as run-<number>.txt. With more than one job, each run gets
    `--basetemp` in a temporary folder of its own, so that concurrent pytest
    sessions never share or clean up each other's tmp_path folders. The
    returned outcomes are in run-number order.
    """
    if jobs == 1:
        return [_report_outcome(run_once(command, number, cwd, timeout), runs, stream, keep_output) for number in range(1, runs + 1)]

    outcomes = []
    with tempfile.TemporaryDirectory(prefix="repeat-browser-suite-") as scratch:
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            futures = []
            for number in range(1, runs + 1):
                basetemp = Path(scratch) / f"run-{number}"
                futures.append(pool.submit(_run_with_basetemp, command, number, cwd, timeout, basetemp))
            for future in as_completed(futures):
                outcomes.append(_report_outcome(future.result(), runs, stream, keep_output))
    return sorted(outcomes, key=lambda outcome: outcome.number)


def _run_with_basetemp(command: Sequence[str], number: int, cwd: Path, timeout: float, basetemp: Path) -> RunOutcome:
    outcome = run_once([*command, f"--basetemp={basetemp}"], number, cwd, timeout)
    if outcome.passed:
        shutil.rmtree(basetemp, ignore_errors=True)
    return outcome


def _report_outcome(outcome: RunOutcome, runs: int, stream: TextIO, keep_output: Path | None) -> RunOutcome:
    print(describe_run(outcome, runs), file=stream, flush=True)
    if keep_output is not None and not outcome.passed:
        keep_output.mkdir(parents=True, exist_ok=True)
        (keep_output / f"run-{outcome.number}.txt").write_text(outcome.output, encoding="utf-8")
    return outcome


def write_summary(outcomes: list[RunOutcome], stream: TextIO) -> None:
    """Write the failed-run count and how often each test failed."""
    failed_runs = [outcome for outcome in outcomes if not outcome.passed]
    print(f"{len(outcomes)} runs, {len(failed_runs)} failed.", file=stream)
    counts = Counter(test for outcome in outcomes for test in outcome.failed)
    if counts:
        print("Tests that failed, with how many runs each failed in:", file=stream)
        for test, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
            print(f"  {count} of {len(outcomes)}  {test}", file=stream)
    unexplained = [outcome for outcome in failed_runs if not outcome.failed]
    if unexplained:
        print("Runs that failed without a failed test in the summary (timeout, crash, collection error):", file=stream)
        for outcome in unexplained:
            print(f"  {describe_run(outcome, len(outcomes))}", file=stream)
            for line in outcome.output.strip().splitlines()[-5:]:
                print(f"    {line}", file=stream)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--runs", type=int, default=50, help="how many times to run the suite (default: 50)")
    parser.add_argument("--jobs", type=int, default=1, help="how many runs go at once (default: 1)")
    parser.add_argument(
        "--timeout", type=float, default=1800.0, help="seconds after which one run is stopped and counted as failed (default: 1800)"
    )
    parser.add_argument("--keep-output", type=Path, metavar="DIR", help="write the full output of each failed run to DIR/run-<number>.txt")
    parser.add_argument("pytest_args", nargs="*", metavar="PYTEST-ARGS", help="more pytest arguments, after --, such as a test file")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error(f"--runs: expected a positive number of runs, got {args.runs}")
    if args.jobs < 1:
        parser.error(f"--jobs: expected a positive number of concurrent runs, got {args.jobs}")
    if args.timeout <= 0:
        parser.error(f"--timeout: expected a positive number of seconds, got {args.timeout:g}")
    return args


def main(argv: Sequence[str] | None = None, stream: TextIO = sys.stdout) -> int:
    args = parse_args(argv)
    command = PYTEST_COMMAND + list(args.pytest_args)
    at_once = f", {args.jobs} at once" if args.jobs > 1 else ""
    print(f"Running {shlex.join(command)} {args.runs} times{at_once} in {REPOSITORY}", file=stream, flush=True)
    started = time.monotonic()
    outcomes = repeat(command, args.runs, stream, timeout=args.timeout, keep_output=args.keep_output, jobs=args.jobs)
    print(f"Took {time.monotonic() - started:.0f} s in all.", file=stream)
    write_summary(outcomes, stream)
    return 0 if all(outcome.passed for outcome in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
