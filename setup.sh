#!/usr/bin/env bash
# Install pintrk-harness and what it needs: the Python package with its test
# extras, and a Chromium when none can be found. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")"

python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore -e '.[test]'
# pyenv only sees a new console script after a rehash.
if command -v pyenv >/dev/null; then
    pyenv rehash
fi

# Playwright's own browser download needs internet; where it is missing, use the
# system Chromium (Debian's package), which the harness finds by itself.
if ! python3 -m harness.chromium >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "setup: no Chromium found; installing Debian's chromium package" >&2
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    else
        echo "setup: no Chromium found. Run 'python3 -m playwright install chromium', install your system's chromium package, or set PINTRK_HARNESS_BROWSER to a Chromium executable." >&2
        exit 1
    fi
fi
