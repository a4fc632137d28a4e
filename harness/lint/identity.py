"""Rules on the enhanced-match email (`em`) in the partner data of `/v3/` events."""

from __future__ import annotations

import hashlib
import re
from typing import Iterator

from harness.lint.context import LintContext, partner_data
from harness.lint.findings import Hit, show

# Text found in place of an email: Pinterest's example snippets pasted
# unchanged, an empty field, or a missing value turned into a string.
PLACEHOLDER_TEXTS = (
    "<user_email_address>",
    "<hashed_email_address>",
    "",
    "undefined",
    "null",
    "None",
    "[object Object]",
)

# The tag takes 64, 40 or 32 hex digits as already hashed, so sites that hash
# themselves may send any of these algorithms.
_ALGORITHMS = (("SHA-256", hashlib.sha256), ("SHA-1", hashlib.sha1), ("MD5", hashlib.md5))

_HEX_DIGEST = re.compile(r"[0-9a-f]{64}|[0-9a-f]{40}|[0-9a-f]{32}")


def _case_variants(text: str) -> set[str]:
    # The tag lowercases before hashing, but sites hashing by themselves often
    # do not, so the hash of "Undefined" or "NULL" turns up too.
    return {text, text.lower(), text.upper(), text.title()}


def _placeholder_digests() -> dict[str, tuple[str, str]]:
    digests: dict[str, tuple[str, str]] = {}
    for text in PLACEHOLDER_TEXTS:
        for variant in sorted(_case_variants(text)):
            for label, algorithm in _ALGORITHMS:
                digests.setdefault(algorithm(variant.encode("utf-8")).hexdigest(), (label, variant))
    return digests


# Hex digest -> (algorithm name, text hashed).
PLACEHOLDER_DIGESTS = _placeholder_digests()


def _emails(context: LintContext) -> Iterator[tuple[int, object]]:
    for index, request in context.events():
        data = partner_data(request)
        if data is not None and "em" in data:
            yield index, data["em"]


def check_em_placeholder(context: LintContext) -> Iterator[Hit]:
    """Find `em` values that are the hash of a placeholder, not of an email."""
    for index, email in _emails(context):
        if not isinstance(email, str):
            continue
        digest = email.strip().lower()
        if digest in PLACEHOLDER_DIGESTS:
            label, text = PLACEHOLDER_DIGESTS[digest]
            yield index, f"em {digest} is the {label} hash of {show(text)}, not of a user's email", digest


def check_em_not_hashed(context: LintContext) -> Iterator[Hit]:
    """Find `em` values that are not 64, 40 or 32 hex digits."""
    for index, email in _emails(context):
        if isinstance(email, str) and _HEX_DIGEST.fullmatch(email.strip().lower()):
            continue
        if isinstance(email, str) and "@" in email:
            yield index, f"em is a plain email address, shown here as {show(email)}; send its SHA-256 (64 hex digits) instead", email
            continue
        yield index, f"em {show(email)} is not hashed: expected 64, 40 or 32 hex digits", email
