"""Email addresses in text, URLs and JSON are replaced by the SHA-256 the tag would send."""

from __future__ import annotations

import hashlib

import pytest

from harness.email_mask import email_digest, mask_emails


def digest(email: str) -> str:
    return hashlib.sha256(email.lower().encode("utf-8")).hexdigest()


@pytest.mark.parametrize(
    "text, email",
    [
        ("ada@example.com", "ada@example.com"),
        ("ada@exämple.com", "ada@exämple.com"),
        ("jürgen@example.de", "jürgen@example.de"),
        ("x=ada%40ex%C3%A4mple.com&y=1", "ada@exämple.com"),
        ("pd=%7B%22em%22%3A%22j%C3%BCrgen%40example.com%22%7D", "jürgen@example.com"),
        ("x=someone%40example%2Ecom&y=1", "someone@example.com"),
        ("x=some%2Eone%2540example%252Ecom", "some.one@example.com"),
    ],
)
def test_address_masked(text: str, email: str) -> None:
    masked = mask_emails(text)
    assert f"<email sha256:{digest(email)}>" in masked
    assert "@" not in masked
    assert "%40" not in masked


def test_short_digest_form() -> None:
    assert mask_emails("to Ada@Example.com now", 8) == f"to <email sha256:{digest('ada@example.com')[:8]}…> now"


def test_text_without_address_unchanged() -> None:
    for text in ("price 2€, no address", "a@b", "@example.com", "tid=2612345678901&event=init"):
        assert mask_emails(text) == text


def test_encoded_and_plain_digest_agree() -> None:
    assert email_digest("ada%40ex%C3%A4mple.com") == email_digest("ada@exämple.com")


def test_json_keys_and_values_masked() -> None:
    masked = mask_emails({"ada@example.com": ["bob@example.com", 1, None]})
    assert masked == {f"<email sha256:{digest('ada@example.com')}>": [f"<email sha256:{digest('bob@example.com')}>", 1, None]}


def test_lone_surrogate_hashed_as_replacement_character() -> None:
    # A page's JSON can carry "\ud800"; the hash treats it as U+FFFD, as TextEncoder does.
    assert mask_emails("\ud800@example.com") == f"<email sha256:{digest(chr(0xFFFD) + '@example.com')}>"
