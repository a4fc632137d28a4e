"""Launch the Chromium a check runs in, with the flags its capture mode and host mapping need.

A run captured by routes needs no flags beyond the usual ones, so it may
reuse a running HarnessBrowser. A run through the proxy starts a
CaptureProxy and launches Chromium with `--proxy-server` and the proxy CA's
SPKI hash in `--ignore-certificate-errors-spki-list`, so Chromium trusts the
proxy's certificates for this run only, without installing its CA. Mapped
hosts go to `--host-resolver-rules`. With `only_mapped_hosts`, every other
host name fails to resolve inside Chromium and the proxy forwards nothing,
so no DNS query or request leaves the machine.
"""

from __future__ import annotations

import ipaddress
import logging
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING

from playwright.sync_api import Browser, Playwright, sync_playwright

from harness.browser import HarnessBrowser
from harness.chromium import find_chromium, launch_args
from harness.fixture_server import FIXTURES_DIR, FixtureServer

if TYPE_CHECKING:
    from harness.capture.proxy import CaptureProxy

log = logging.getLogger(__name__)

CAPTURE_ROUTES = "routes"
CAPTURE_PROXY = "proxy"

# Names that stay resolvable with only_mapped_hosts, so a site on this machine still loads.
_LOCAL_NAMES = ("localhost", "127.0.0.1", "[::1]")


@dataclass
class LaunchPlan:
    """How to launch Chromium for one run."""

    executable: str | None = None
    headless: bool = True
    capture: str = CAPTURE_ROUTES
    send_to_pinterest: bool = False
    host_map: dict[str, str] = field(default_factory=dict)  # host name -> "address:port" or "address"
    only_mapped_hosts: bool = False
    trusted_spki: list[str] = field(default_factory=list)  # base64 SHA-256 SPKI hashes of extra certificates to accept
    chromium_args: list[str] = field(default_factory=list)
    fixture_server: bool = False  # a fixture profile: serve the fixtures on 127.0.0.1

    @property
    def needs_own_browser(self) -> bool:
        """True when the default Chromium flags are not enough for this run."""
        return bool(self.capture == CAPTURE_PROXY or self.host_map or self.only_mapped_hosts or self.trusted_spki or self.chromium_args)


def parse_host_mapping(text: str) -> tuple[str, str]:
    """Parse HOST=ADDRESS[:PORT] into (host, target); raise ValueError saying what is wrong."""
    host, separator, target = text.partition("=")
    host = host.strip().lower().rstrip(".")
    target = target.strip()
    if not separator or not host or not target:
        raise ValueError(f"{text!r} is not HOST=ADDRESS[:PORT]; write it as shop.example=127.0.0.1:8000")
    if any(character in host for character in "/:@ ,") or host == "*":
        raise ValueError(f"{text!r}: {host!r} is not a host name; give a bare name such as shop.example")
    address, port = _split_target(target)
    if address is None:
        raise ValueError(f"{text!r}: {target!r} is not ADDRESS[:PORT]; write an IPv6 address in brackets, as [::1]:8000")
    try:
        ipaddress.ip_address(address)
    except ValueError:
        if not address or any(character in address for character in "/@ ,:[]"):
            raise ValueError(f"{text!r}: {address!r} is not an IP address or host name") from None
    if port and not (port.isdigit() and 0 < int(port) < 65536):
        raise ValueError(f"{text!r}: port {port!r} is not a number between 1 and 65535")
    return host, target


def _split_target(target: str) -> tuple[str | None, str]:
    """Split ADDRESS[:PORT] into address and port ("" when absent); None as address when malformed."""
    if target.startswith("["):
        address, closed, rest = target[1:].partition("]")
        if not closed or (rest and not rest.startswith(":")):
            return None, ""
        return address, rest[1:]
    if target.count(":") == 1:
        address, _, port = target.partition(":")
        return address, port
    # A bare IPv4 address or host name, or an IPv6 address without a port.
    return target, ""


def host_resolver_rules(host_map: dict[str, str], only_mapped_hosts: bool) -> str | None:
    """Build Chromium's --host-resolver-rules value, or None when there is nothing to map."""
    rules = [f"MAP {host} {target}" for host, target in host_map.items()]
    if only_mapped_hosts:
        # ~NOTFOUND makes a lookup fail inside Chromium, with no DNS query.
        rules.append("MAP * ~NOTFOUND")
        rules.extend(f"EXCLUDE {name}" for name in _LOCAL_NAMES)
    return ", ".join(rules) if rules else None


def chromium_flags(plan: LaunchPlan, proxy: CaptureProxy | None) -> list[str]:
    """Return the flags to launch Chromium with, beyond harness.chromium's usual ones."""
    flags = []
    rules = host_resolver_rules(plan.host_map, plan.only_mapped_hosts)
    if rules:
        flags.append(f"--host-resolver-rules={rules}")
    spki = list(plan.trusted_spki)
    if proxy is not None:
        flags.append(f"--proxy-server={proxy.url}")
        if plan.host_map:
            # Mapped hosts go straight to their address; the proxy would resolve them by DNS.
            # NOTE: the proxy does not know the mapping, so a request it forwards goes to the real host.
            flags.append(f"--proxy-bypass-list={';'.join(plan.host_map)}")
        spki.append(proxy.spki_hash)
    if spki:
        flags.append(f"--ignore-certificate-errors-spki-list={','.join(spki)}")
    return flags + list(plan.chromium_args)


class BrowserSession:
    """The browser, the proxy and the fixture server of one run; close() stops what it started.

    With a HarnessBrowser, the session borrows its Playwright (one sync
    Playwright runs per thread) and, when the plan needs no flags of its
    own, its Chromium and fixture server too.
    """

    def __init__(self, plan: LaunchPlan, harness_browser: HarnessBrowser | None = None) -> None:
        self.plan = plan
        self.harness_browser = harness_browser
        self.proxy: CaptureProxy | None = None
        self.fixture_server: FixtureServer | None = None
        self._browser: Browser | None = None
        self._own_browser = False
        self._own_fixture_server = False
        self._playwright_manager = None
        self._playwright: Playwright | None = None

    @property
    def browser(self) -> Browser:
        if self._browser is None:
            raise RuntimeError("The browser session is not running; call start() first.")
        return self._browser

    def start(self) -> "BrowserSession":
        """Start the proxy, Chromium and the fixture server the plan needs; on failure stop what started."""
        try:
            self._start()
        except BaseException:
            self.close()
            raise
        return self

    def _start(self) -> None:
        plan = self.plan
        if plan.capture == CAPTURE_PROXY:
            # A fixture run is offline, so its proxy forwards nothing either.
            offline = plan.only_mapped_hosts or plan.fixture_server
            # Imported here because mitmproxy is slow to import and only proxy capture needs it.
            from harness.capture.proxy import CaptureProxy

            self.proxy = CaptureProxy(passthrough=plan.send_to_pinterest, offline=offline).start()
        if self.harness_browser is not None:
            self._playwright = self.harness_browser.playwright
        else:
            self._playwright_manager = sync_playwright()
            self._playwright = self._playwright_manager.start()

        if self.harness_browser is not None and not plan.needs_own_browser:
            self._browser = self.harness_browser.browser
        else:
            path = find_chromium(plan.executable, bundled=self._playwright.chromium.executable_path)
            args = launch_args() + chromium_flags(plan, self.proxy)
            log.debug("launching %s with %s", path, args)
            self._browser = self._playwright.chromium.launch(executable_path=path, headless=plan.headless, args=args)
            self._own_browser = True

        if plan.fixture_server:
            if self.harness_browser is not None:
                self.fixture_server = self.harness_browser.fixture_server
            else:
                self.fixture_server = FixtureServer(FIXTURES_DIR).start()
                self._own_fixture_server = True

    def close(self) -> None:
        """Close what this session started, the browser first, then the proxy and the servers."""
        if self._browser is not None and self._own_browser:
            self._browser.close()
        self._browser = None
        self._own_browser = False
        if self._playwright_manager is not None:
            self._playwright_manager.__exit__(None, None, None)
            self._playwright_manager = None
        self._playwright = None
        if self.proxy is not None:
            self.proxy.stop()
            self.proxy = None
        if self.fixture_server is not None and self._own_fixture_server:
            self.fixture_server.stop()
        self.fixture_server = None
        self._own_fixture_server = False

    def __enter__(self) -> "BrowserSession":
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
