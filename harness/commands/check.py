"""`pintrk-harness check [SITE]`: run a site profile in a real browser and report."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, TextIO

from harness.bundled import SITES_DIR
from harness.check import CheckOptions, RunError, run_check
from harness.email_mask import mask_emails
from harness.live_browser import parse_host_mapping
from harness.live_report import write_live_json, write_live_sections
from harness.report import write_junit_xml, write_terminal
from harness.sites import CAPTURE_MODES, ProfileError, load_profile

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
            "A profile whose start_url is http(s) checks a live site with its real analytics.js and tag. The harness "
            "responds to requests to ct.pinterest.com itself unless --send-to-pinterest is given. "
            "Exit status: 0 when every expectation holds, 1 when one failed or lint found an error, "
            "2 when the run itself broke (a diagnosis names why)."
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

    live = parser.add_argument_group("live sites")
    live.add_argument(
        "--capture",
        choices=CAPTURE_MODES,
        help="capture by Playwright routes in the browser, or through the mitmproxy proxy Chromium is launched with (default: the profile's capture, else routes)",
    )
    live.add_argument(
        "--send-to-pinterest",
        action="store_true",
        default=None,
        help="let requests to ct.pinterest.com reach Pinterest (they then count in your Pinterest data); by default the harness responds to them itself",
    )
    live.add_argument(
        "--offline-scripts",
        action="store_true",
        default=None,
        help="serve analytics.js, the Segment CDN settings and API responses, and Pinterest's core.js from the harness's fixtures",
    )
    live.add_argument(
        "--answer-segment-api",
        action="store_true",
        help="respond to the calls to Segment's API locally, so they reach neither Segment nor its server-side destinations",
    )
    live.add_argument(
        "--map-host",
        metavar="HOST=ADDRESS[:PORT]",
        action="append",
        default=[],
        help="make Chromium resolve HOST to ADDRESS (and PORT), as for a staging server; repeat for more",
    )
    live.add_argument(
        "--only-mapped-hosts",
        action="store_true",
        help="every host not given with --map-host fails to resolve, and the proxy forwards nothing: no request leaves the machine",
    )
    live.add_argument("--block-host", metavar="HOST", action="append", default=[], help="abort requests to HOST and its subdomains, as an ad blocker would; repeat for more")
    live.add_argument(
        "--tag-wait",
        metavar="SECONDS",
        type=float,
        help="seconds to wait for the tag's first request when the page made none, before diagnosing why (default: the profile's tag_wait, else 5)",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    site = Path(args.site) if args.site else DEMO_SHOP
    try:
        profile = load_profile(site)
    except ProfileError as error:
        print(mask_emails(f"pintrk-harness check: invalid site profile: {error}", 12), file=stderr)
        return EXIT_BROKEN
    path_problem = _check_output_paths(args)
    if path_problem:
        print(f"pintrk-harness check: {path_problem}", file=stderr)
        return EXIT_BROKEN

    try:
        host_map = dict(parse_host_mapping(text) for text in args.map_host)
    except ValueError as error:
        print(f"pintrk-harness check: --map-host {error}", file=stderr)
        return EXIT_BROKEN
    if args.tag_wait is not None and not 0 <= args.tag_wait <= 600:
        print(f"pintrk-harness check: --tag-wait {args.tag_wait:g}: expected seconds between 0 and 600", file=stderr)
        return EXIT_BROKEN

    options = CheckOptions(
        browser=args.browser,
        headless=not args.headed,
        strict=args.strict,
        output_dir=args.output_dir,
        keep_artifacts=args.keep_artifacts,
        lint_disabled=list(args.disable_lint),
        progress=lambda text: print(mask_emails(text, 12), file=stderr, flush=True),
        capture=args.capture,
        send_to_pinterest=args.send_to_pinterest,
        offline_scripts=args.offline_scripts,
        answer_segment_api=args.answer_segment_api,
        host_map=host_map,
        only_mapped_hosts=args.only_mapped_hosts,
        blocked_hosts=list(args.block_host),
        tag_wait=args.tag_wait,
    )
    try:
        result = run_check(profile, options)
    except RunError as error:
        print(mask_emails(f"pintrk-harness check: {error}", 12), file=stderr)
        return EXIT_BROKEN

    write_terminal(result, stdout)
    write_live_sections(result, stdout)
    for option, path, write in (("--json", args.json, write_live_json), ("--junit-xml", args.junit_xml, write_junit_xml)):
        if path is None:
            continue
        try:
            write(result, path)
        except OSError as error:
            # The terminal report above is complete, so only the file is missing.
            print(f"pintrk-harness check: cannot write {option} {path} ({error.strerror or error}); the report above is complete", file=stderr)
            return EXIT_BROKEN
    if result.broken:
        return EXIT_BROKEN
    return EXIT_OK if result.ok else EXIT_FAILED


def _check_output_paths(args: argparse.Namespace) -> str | None:
    """Return why a report or output path cannot be written, before the run spends time; create the output folder."""
    for option, path in (("--json", args.json), ("--junit-xml", args.junit_xml)):
        if path is not None and path.is_dir():
            return f"{option} {path}: is a folder; give a file name"
    if args.output_dir.exists() and not args.output_dir.is_dir():
        return f"--output-dir {args.output_dir}: is a file; give a folder"
    try:
        args.output_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        return f"--output-dir {args.output_dir}: cannot create it ({error.strerror or error}); give a writable folder"
    return None
