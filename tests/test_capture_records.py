"""Captured-request records and summaries: email masking, em description, event data."""

from __future__ import annotations

import hashlib

import pytest

from harness.capture.records import describe_em, describe_event_data, mask_emails, summary_line, to_record
from harness.wire import decode_request

HASHED_EM = "f660ab912ec121d1b1e928a0bb4bc61b15f5ad44d5efdc4e1c92a25e99b8e44a"


def masked(address: str) -> str:
    return f"<email sha256:{hashlib.sha256(address.encode()).hexdigest()}>"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Jo.Doe@Example.com", masked("jo.doe@example.com")),
        ("%22em%22%3A%22jo%40example.com%22", f"%22em%22%3A%22{masked('jo@example.com')}%22"),
        ("%2522em%2522%253A%2522jo%2540example.com%2522", f"%2522em%2522%253A%2522{masked('jo@example.com')}%2522"),
        ("a%2Bb%40example.com", masked("a+b@example.com")),
        ("to: jo@example.com, al@example.org", f"to: {masked('jo@example.com')}, {masked('al@example.org')}"),
    ],
)
def test_mask_emails_in_text(text: str, expected: str) -> None:
    assert mask_emails(text) == expected


@pytest.mark.parametrize("text", ["no address here", "user@localhost", HASHED_EM, "50% off @ checkout"])
def test_mask_emails_leaves_other_text(text: str) -> None:
    assert mask_emails(text) == text


def test_mask_emails_in_keys_and_lists() -> None:
    value = {"jo@example.com": ["al@example.org", 3, None]}
    assert mask_emails(value) == {masked("jo@example.com"): [masked("al@example.org"), 3, None]}


def test_record_masks_by_default() -> None:
    request = decode_request("https://ct.pinterest.com/v3/?tid=1&event=lead&pd=%7B%22em%22%3A%22jo%40example.com%22%7D")
    record = to_record(request, "127.0.0.1:5000")
    assert record["pd"] == {"em": masked("jo@example.com")}
    assert "%40" not in record["url"]
    assert record["client"] == "127.0.0.1:5000"


def test_record_plain_when_asked() -> None:
    request = decode_request("https://ct.pinterest.com/v3/?tid=1&event=lead&pd=%7B%22em%22%3A%22jo%40example.com%22%7D")
    assert to_record(request, "127.0.0.1:5000", plain_emails=True)["pd"] == {"em": "jo@example.com"}


@pytest.mark.parametrize(
    "partner_data, expected",
    [
        (None, "no em"),
        ({"np": "segment"}, "no em"),
        ({"em": HASHED_EM}, "em present f660ab91…"),
        ({"em": "Jo@Example.com"}, f"em present (plain email address, sha256 {hashlib.sha256(b'jo@example.com').hexdigest()[:8]}…)"),
        ({"em": "<user_email_address>"}, "em present (not a hash, 20 characters)"),
        ({"em": 42}, "em present (not a string)"),
    ],
)
def test_describe_em(partner_data: object, expected: str) -> None:
    assert describe_em(partner_data) == expected


def test_event_data_shows_first_keys() -> None:
    request = decode_request(
        "https://ct.pinterest.com/v3/?tid=1&event=checkout&ed="
        "%7B%22value%22%3A116%2C%22currency%22%3A%22USD%22%2C%22line_items%22%3A%5B%7B%7D%2C%7B%7D%5D"
        "%2C%22order_id%22%3A%22o%201%22%2C%22meta%22%3A%7B%22a%22%3A1%7D%2C%22gift%22%3Atrue"
        "%2C%22note%22%3Anull%2C%22extra%22%3A1%7D"
    )
    assert describe_event_data(request) == 'value=116 currency=USD line_items=[2 items] order_id="o 1" meta={1 key} gift=true (+2 more)'


def test_event_data_invalid_json() -> None:
    request = decode_request("https://ct.pinterest.com/v3/?tid=1&event=checkout&ed=%7B%22value%22")
    assert describe_event_data(request) == "ed invalid"


def test_summary_line_hides_plain_email() -> None:
    request = decode_request(
        "https://ct.pinterest.com/v3/?tid=7&event=signup&ed=%7B%22contact%22%3A%22jo%40example.com%22%7D"
        "&pd=%7B%22em%22%3A%22jo%40example.com%22%7D"
    )
    line = summary_line(request, "10.0.0.5:4000")
    assert "@" not in line
    assert " 10.0.0.5:4000 v3 signup tid=7 em present (plain email address" in line
    assert line.endswith("[1 problem]")
