"""Loading the pytest plugin does not import mitmproxy, which only proxy capture needs."""

from __future__ import annotations

import subprocess
import sys


def test_plugin_leaves_mitmproxy_unloaded() -> None:
    code = "import sys, harness.pytest_plugin, harness.check; print(sorted(name for name in sys.modules if name.startswith('mitmproxy')))"
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert completed.stdout.strip() == "[]"
