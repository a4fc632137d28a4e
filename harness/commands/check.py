"""`pintrk-harness check [SITE]`: run a site profile in a real browser and report."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, TextIO

from harness.check import CheckOptions, RunError, run_check
from harness.report import write_json, write_junit_xml, write_terminal
from harness.sites import ProfileError, load_profile

SITES_DIR = Path(__file__).resolve().parents[2] / "sites"
DEMO_SHOP = SITES_DIR / "demo-shop.yaml"

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BROKEN = 2


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "check",
        help="run a site profile in a real browser and check what reaches Pinterest",
        description=(
            "Run a site profile in Chromium, capture every request to Pinterest, and compare it with what "
            "the Segment destination and the tag should send. With no SITE, runs the bundled demo shop offline. "
            "Exit status: 0 when every expectation holds, 1 when one failed, 2 when the run itself broke."
        ),
    )
    parser.add_argument("site", nargs="?", metavar="SITE", help=f"site profile (YAML); default: the bundled demo shop ({DEMO_SHOP.name})")
    parser.add_argument("--json", metavar="FILE", type=Path, help="also write the report as JSON to FILE")
    parser.add_argument("--junit-xml", metavar="FILE", type=Path, help="also write the report as JUnit XML to FILE")
    parser.add_argument("--browser", metavar="PATH", help="Chromium executable to use (default: $PINTRK_HARNESS_BROWSER, Playwright's Chromium, then a system Chromium)")
    parser.add_argument("--headed", action="store_true", help="show the browser window")
    parser.add_argument("--strict", action="store_true", help="compare every key and parameter, including those the tag adds itself")
    parser.add_argument("--output-dir", metavar="DIR", type=Path, default=Path("pintrk-output"), help="folder for the trace and HAR kept on failure (default: pintrk-output)")
    parser.add_argument(
        "--keep-artifacts",
        choices=("on-failure", "always", "never"),
        default="on-failure",
        help="when to keep the Playwright trace and the HAR (default: on-failure)",
    )
    parser.add_argument("--disable-lint", metavar="RULE", action="append", default=[], help="switch a lint rule off by id; repeat for more")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    site = Path(args.site) if args.site else DEMO_SHOP
    try:
        profile = load_profile(site)
    except ProfileError as error:
        print(f"pintrk-harness check: invalid site profile: {error}", file=stderr)
        return EXIT_BROKEN

    options = CheckOptions(
        browser=args.browser,
        headless=not args.headed,
        strict=args.strict,
        output_dir=args.output_dir,
        keep_artifacts=args.keep_artifacts,
        lint_disabled=list(args.disable_lint),
        progress=lambda text: print(text, file=stderr, flush=True),
    )
    try:
        result = run_check(profile, options)
    except RunError as error:
        print(f"pintrk-harness check: {error}", file=stderr)
        return EXIT_BROKEN

    write_terminal(result, stdout)
    if args.json:
        write_json(result, args.json)
    if args.junit_xml:
        write_junit_xml(result, args.junit_xml)
    if result.broken:
        return EXIT_BROKEN
    return EXIT_OK if result.ok else EXIT_FAILED
