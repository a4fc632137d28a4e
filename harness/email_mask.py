"""Find email addresses in text and replace them by the SHA-256 the tag would send.

Pure. Every report, log and lint message writes an email address only in
this masked form, `<email sha256:HEX>`, so a reader can compare it with the
`em` hash on the wire without seeing the address.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any
from urllib.parse import unquote

from harness.jsvalue import utf8_bytes

# An email address as it appears in decoded text, in a query string (`@` as
# %40) or in a doubly-encoded body (%2540). A match may start only at the
# beginning of the text, after a character that cannot be in an address, or
# right after a complete escape (%XX other than %25, or %25XX), so
# `%22a%40b.com` masks `a%40b.com` and `%2522a%2540b.com` masks `a%2540b.com`.
# Non-ASCII letters count as address characters, as text or as percent-encoded
# UTF-8 bytes (%80 to %FF), so `ada@exämple.com` and `ada@ex%C3%A4mple.com` match.
# A dot may also be percent-encoded (%2E).
# NOTE: in a local part with other characters (such as `!#$&'*/=?^{|}~`), the
# text up to the last such character stays visible. Addresses inside base64
# or other encodings are not masked at all.
_EMAIL = re.compile(
    r"(?:(?<=%25[0-9A-Fa-f]{2})|(?<=%(?:[013-9A-Fa-f][0-9A-Fa-f]|2[0-46-9A-Fa-f]))|(?<![A-Za-z0-9._+%\u0080-\U0010ffff-]))"
    r"(?:[A-Za-z0-9._+\u0080-\U0010ffff-]|%2[BbEe]|%252[BbEe]|%[89A-Fa-f][0-9A-Fa-f])+"
    r"(?:@|%40|%2540)"
    r"(?:[A-Za-z0-9\u0080-\U0010ffff-]|%[89A-Fa-f][0-9A-Fa-f])+(?:(?:\.|%2[Ee]|%252[Ee])(?:[A-Za-z0-9\u0080-\U0010ffff-]|%[89A-Fa-f][0-9A-Fa-f])+)+"
)


def email_digest(text: str) -> str:
    """Hash an email address as the tag does (trimmed, lowercased, SHA-256), after undoing percent-encoding."""
    decoded = unquote(unquote(text))
    return hashlib.sha256(utf8_bytes(decoded.strip().lower())).hexdigest()


def mask_emails(value: Any, digits: int = 64) -> Any:
    """Return a copy of a JSON-like value with every email address in its strings and keys replaced by its hash.

    With `digits` below 64, only that many leading hex digits of the hash are
    written, followed by `…`, for messages meant to be read rather than matched.
    """
    if isinstance(value, str):
        if "@" not in value and "%40" not in value and "%2540" not in value:
            return value  # the common case, and much faster than the regular expression
        return _EMAIL.sub(lambda match: _masked(match[0], digits), value)
    if isinstance(value, dict):
        return {mask_emails(key, digits): mask_emails(item, digits) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [mask_emails(item, digits) for item in value]
    return value


def _masked(email: str, digits: int) -> str:
    digest = email_digest(email)
    return f"<email sha256:{digest}>" if digits >= len(digest) else f"<email sha256:{digest[:digits]}…>"
