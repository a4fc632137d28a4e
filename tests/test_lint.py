"""Lint rules on decoded tag requests: one trigger and one near miss per rule."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from harness.lint import RULES, RULES_BY_ID, SEVERITIES, findings_to_json, lint, render_text
from harness.lint.identity import PLACEHOLDER_DIGESTS
from harness.wire import TagRequest

DOCS = Path(__file__).resolve().parents[1] / "docs" / "lint-rules.md"

TID = "2612345678901"
OTHER_TID = "2619999999999"
HOME = "https://shop.example/"
THANKS = "https://shop.example/thanks"
# Values given by Pinterest's tag documentation, not computed here.
PLACEHOLDER_SHA256 = "24aba99b2defbb47ee981b4200313f61f3ae31541d8717bdac1e463c838939b0"
EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
# SHA-256 of "test@example.com", as the tag sends it in the captured requests.
REAL_SHA256 = "973dfe463ec85785f5f95af5ba3906eedb2d931c24e69824a89ea65dba4e813b"


def event(name: str | None, ed: Any = None, pd: Any = None, tid: str | None = TID, loc: str | None = HOME) -> TagRequest:
    """Build a decoded `/v3/` request as the image beacon sends it."""
    return TagRequest(
        method="GET",
        url="https://ct.pinterest.com/v3/",
        endpoint="v3",
        pinterest=True,
        event=name,
        tid=tid,
        ed=ed,
        pd=pd,
        ad=None if loc is None else {"loc": loc, "ref": "", "if": False},
        cb=1700000000000,
    )


def user_request(pd: Any = None, tid: str = TID, ed: Any = None) -> TagRequest:
    """Build a decoded `/user/` request, which carries no `ad`."""
    return TagRequest(
        method="GET",
        url="https://ct.pinterest.com/user/",
        endpoint="user",
        pinterest=True,
        tid=tid,
        ed=ed,
        pd=pd,
        params={"dep": "2,PAGE_LOAD"},
    )


def noscript(params: dict[str, str]) -> TagRequest:
    """Build a noscript image request whose bracket keys stayed in `params`."""
    return TagRequest(
        method="GET",
        url="https://ct.pinterest.com/v3/",
        endpoint="v3",
        pinterest=True,
        event=params.get("event"),
        tid=params.get("tid"),
        params={key: value for key, value in params.items() if key not in ("event", "tid")},
        transport="noscript",
    )


@dataclass
class Case:
    name: str
    rule_id: str
    requests: list[TagRequest]
    call_log: Any = None
    # Expected finding, for trigger cases only.
    severity: str = ""
    message: str = ""
    request_index: int | None = 0


def undefined_sha256() -> str:
    return hashlib.sha256(b"Undefined").hexdigest()


def null_md5() -> str:
    return hashlib.md5(b"null").hexdigest()


def short_sha256(email: str) -> str:
    """Return the first 8 hex digits of the SHA-256 of an email as the tag hashes it (lowercased)."""
    return hashlib.sha256(email.lower().encode("utf-8")).hexdigest()[:8]


TRIGGERS = [
    Case(
        "em-placeholder-example",
        "em-placeholder",
        [event("init", pd={"em": PLACEHOLDER_SHA256})],
        severity="error",
        message=f'em {PLACEHOLDER_SHA256} is the SHA-256 hash of "<user_email_address>", not of a user\'s email',
    ),
    Case(
        "em-placeholder-empty",
        "em-placeholder",
        [event("init", pd={"np": "segment", "em": EMPTY_SHA256})],
        severity="error",
        message=f'em {EMPTY_SHA256} is the SHA-256 hash of "", not of a user\'s email',
    ),
    Case(
        "em-placeholder-title-case",
        "em-placeholder",
        [event("init", pd={"em": undefined_sha256()})],
        severity="error",
        message=f'em {undefined_sha256()} is the SHA-256 hash of "Undefined", not of a user\'s email',
    ),
    Case(
        "em-placeholder-md5",
        "em-placeholder",
        [event("init", pd={"em": null_md5().upper()})],
        severity="error",
        message=f'em {null_md5()} is the MD5 hash of "null", not of a user\'s email',
    ),
    Case(
        "em-not-hashed-noscript",
        "em-not-hashed",
        [noscript({"event": "init", "tid": TID, "pd[em]": "Jane.Doe@Example.com", "noscript": "1"})],
        severity="error",
        message=f'em is a plain email address, shown here as "<email sha256:{short_sha256("jane.doe@example.com")}…>"; send its SHA-256 (64 hex digits) instead',
    ),
    Case(
        "em-not-hashed-example",
        "em-not-hashed",
        [event("init", pd={"em": "<hashed_email_address>"})],
        severity="error",
        message='em "<hashed_email_address>" is not hashed: expected 64, 40 or 32 hex digits',
    ),
    Case(
        "value-not-numeric",
        "value-not-numeric",
        [event("checkout", ed={"value": "$10", "currency": "USD", "order_id": "o1"})],
        severity="error",
        message='value "$10" on event "checkout" is not a number',
    ),
    Case(
        "value-without-currency",
        "value-without-currency",
        [event("addtocart", ed={"value": 10})],
        severity="warning",
        message='value 10 on event "addtocart" has no currency',
    ),
    Case(
        "currency-not-iso4217",
        "currency-not-iso4217",
        [event("addtocart", ed={"value": 10, "currency": "US$"})],
        severity="error",
        message='currency "US$" on event "addtocart" is not an ISO 4217 code',
    ),
    Case(
        "currency-not-iso4217-number",
        "currency-not-iso4217",
        [event("addtocart", ed={"value": 10, "currency": 840})],
        severity="error",
        message='currency 840 on event "addtocart" is not an ISO 4217 code',
    ),
    Case(
        "currency-case",
        "currency-case",
        [event("addtocart", ed={"value": 10, "currency": "usd"})],
        severity="warning",
        message='currency "usd" on event "addtocart" is not upper case: send "USD"',
    ),
    Case(
        "order-quantity-not-integer",
        "order-quantity-not-integer",
        [event("checkout", ed={"value": 10, "currency": "USD", "order_id": "o1", "order_quantity": "1.5"})],
        severity="warning",
        message='order_quantity "1.5" on event "checkout" is not an integer',
    ),
    Case(
        "line-items-not-list",
        "line-items-not-list",
        [event("checkout", ed={"value": 10, "currency": "USD", "order_id": "o1", "line_items": {"product_id": "11"}})],
        severity="error",
        message='line_items on event "checkout" is an object, not a list',
    ),
    Case(
        "line-item-missing-product-id",
        "line-item-missing-product-id",
        [event("AddToCart", ed={"line_items": [{"product_id": "1"}, {"product_name": "Pillow"}, None]})],
        severity="warning",
        message='line_items[1], line_items[2] on event "AddToCart" have no product_id',
    ),
    Case(
        "line-item-missing-product-id-noscript",
        "line-item-missing-product-id",
        [
            noscript(
                {
                    "event": "checkout",
                    "tid": TID,
                    "ed[value]": "10",
                    "ed[currency]": "USD",
                    "ed[order_id]": "o1",
                    "ed[line_items][0][product_name]": "Pillow",
                    "noscript": "1",
                }
            )
        ],
        severity="warning",
        message='line_items[0] on event "checkout" has no product_id',
    ),
    Case(
        "checkout-missing-fields",
        "checkout-missing-fields",
        [event("Checkout", ed={"value": 10})],
        severity="warning",
        message='event "Checkout" has no currency or order_id',
    ),
    Case(
        "checkout-missing-fields-all",
        "checkout-missing-fields",
        [event("checkout")],
        severity="warning",
        message='event "checkout" has no value, currency or order_id',
    ),
    Case(
        "coupon-not-promo-code",
        "coupon-not-promo-code",
        [event("checkout", ed={"value": 10, "currency": "USD", "order_id": "o1", "coupon": "SAVE10"})],
        severity="warning",
        message='coupon "SAVE10" on event "checkout" is not read by Pinterest: send it as promo_code',
    ),
    Case(
        "event-name-misspelt-underscores",
        "event-name-misspelt",
        [event("add_to_cart")],
        severity="warning",
        message='event "add_to_cart" is sent as a partner-defined event: did you mean "addtocart"?',
    ),
    Case(
        "event-name-misspelt-space",
        "event-name-misspelt",
        [event("Check Out")],
        severity="warning",
        message='event "Check Out" is sent as a partner-defined event: did you mean "checkout"?',
    ),
    Case(
        "event-name-misspelt-hyphen",
        "event-name-misspelt",
        [event("page-visit")],
        severity="warning",
        message='event "page-visit" is sent as a partner-defined event: did you mean "pagevisit"?',
    ),
    Case(
        "event-name-misspelt-substitution",
        "event-name-misspelt",
        [event("AddToCard")],
        severity="warning",
        message='event "AddToCard" is sent as a partner-defined event: did you mean "addtocart"?',
    ),
    Case(
        "event-name-misspelt-swap",
        "event-name-misspelt",
        [event("Chekcout")],
        severity="warning",
        message='event "Chekcout" is sent as a partner-defined event: did you mean "checkout"?',
    ),
    Case(
        "event-name-misspelt-insertion",
        "event-name-misspelt",
        [event("signups")],
        severity="warning",
        message='event "signups" is sent as a partner-defined event: did you mean "signup"?',
    ),
    Case(
        "event-name-space",
        "event-name-space",
        [event("Order Completed Now")],
        severity="info",
        message='partner-defined event "Order Completed Now" contains spaces',
    ),
    Case(
        "event-name-missing",
        "event-name-missing",
        [event(None, ed={"value": 10, "currency": "USD"})],
        severity="error",
        message="request has no event name",
    ),
    Case(
        "tag-id-conflict-call-log",
        "tag-id-conflict",
        [],
        call_log=[["load", "111"], ["page"], ["load", "222"]],
        severity="error",
        message='load called with tag ids "111" (call 0) and "222" (call 2): the tag keeps only the last, "222"',
        request_index=None,
    ),
    Case(
        "tag-id-conflict-requests",
        "tag-id-conflict",
        [event("init", tid=TID), event("pagevisit", tid=OTHER_TID)],
        severity="error",
        message=f'one page sent tag ids "{TID}" (request 0) and "{OTHER_TID}" (request 1)',
        request_index=1,
    ),
    Case(
        "tag-id-conflict-user-and-noscript",
        "tag-id-conflict",
        [
            user_request(tid=TID),
            event("init", tid=TID),
            noscript({"event": "init", "tid": OTHER_TID, "pd[em]": REAL_SHA256, "noscript": "1"}),
        ],
        severity="error",
        message=f'one page sent tag ids "{TID}" (requests 0, 1) and "{OTHER_TID}" (request 2)',
        request_index=2,
    ),
    Case(
        "event-before-load-track",
        "event-before-load",
        [],
        call_log=[["track", "Checkout", {"value": 1}], ["load", TID], ["page"]],
        severity="error",
        message='pintrk call 0 ("track", "Checkout") comes before any load: the tag sends no event for it',
        request_index=None,
    ),
    Case(
        "event-before-load-page",
        "event-before-load",
        [],
        call_log=[[["load", TID], ["page"]], [["page"], ["load", TID]]],
        severity="error",
        message='call-log page 1: pintrk call 0 ("page") comes before any load: the tag sends no event for it',
        request_index=None,
    ),
    Case(
        "event-id-reused-names",
        "event-id-reused",
        [event("pagevisit", ed={"event_id": "e1"}), event("addtocart", ed={"event_id": "e1"})],
        severity="warning",
        message='event_id "e1" is used by events "pagevisit" (request 0) and "addtocart" (request 1)',
        request_index=1,
    ),
    Case(
        "event-id-reused-one-page",
        "event-id-reused",
        [event("AddToCart", ed={"event_id": 7}), event("addtocart", ed={"event_id": "7"})],
        severity="warning",
        message='event_id "7" is used by 2 "AddToCart" events on one page (requests 0, 1)',
        request_index=1,
    ),
]

def invalid_ed_checkout() -> TagRequest:
    """Build a checkout whose `ed` text was cut short, as the decoder leaves it."""
    request = event("checkout")
    request.raw["ed"] = '{"value":116,"currency":"USD"'
    request.problems.append("ed: invalid JSON")
    return request


FULL_CHECKOUT = {
    "value": 116,
    "order_quantity": 2,
    "currency": "USD",
    "order_id": "o1",
    "event_id": "o1",
    "line_items": [{"product_id": "11", "product_price": 48}, {"product_id": "15", "product_price": 68}],
}

NEAR_MISSES = [
    Case("em-placeholder", "em-placeholder", [event("init", pd={"em": REAL_SHA256})]),
    Case("em-placeholder-on-user", "em-placeholder", [user_request(pd={"em": PLACEHOLDER_SHA256})]),
    Case("em-not-hashed", "em-not-hashed", [event("init", pd={"em": REAL_SHA256.upper()})]),
    Case("em-not-hashed-md5", "em-not-hashed", [event("init", pd={"em": hashlib.md5(b"x@example.com").hexdigest()})]),
    Case("value-not-numeric", "value-not-numeric", [event("checkout", ed={"value": "10.50", "currency": "USD"})]),
    Case("value-without-currency", "value-without-currency", [event("addtocart", ed={"value": 10, "currency": "EUR"})]),
    Case("currency-not-iso4217", "currency-not-iso4217", [event("addtocart", ed={"value": 10, "currency": "XCG"})]),
    Case("currency-not-iso4217-lower", "currency-not-iso4217", [event("addtocart", ed={"value": 10, "currency": "usd"})]),
    Case("currency-case", "currency-case", [event("addtocart", ed={"value": 10, "currency": "USD"})]),
    Case("order-quantity-not-integer", "order-quantity-not-integer", [event("addtocart", ed={"order_quantity": "1"})]),
    Case("line-items-not-list", "line-items-not-list", [event("checkout", ed={"line_items": [{"product_id": "11"}]})]),
    Case(
        "line-item-missing-product-id",
        "line-item-missing-product-id",
        [event("pagevisit", ed={"line_items": [{"product_name": "Pillow"}]})],
    ),
    Case(
        "line-item-missing-product-id-noscript",
        "line-item-missing-product-id",
        [noscript({"event": "checkout", "tid": TID, "ed[line_items][0][product_id]": "11", "noscript": "1"})],
    ),
    Case("checkout-missing-fields", "checkout-missing-fields", [event("checkout", ed=FULL_CHECKOUT)]),
    Case("checkout-missing-fields-invalid-ed", "checkout-missing-fields", [invalid_ed_checkout()]),
    Case(
        "coupon-not-promo-code",
        "coupon-not-promo-code",
        [event("checkout", ed={"coupon": "SAVE10", "promo_code": "SAVE10"})],
    ),
    Case("event-name-misspelt", "event-name-misspelt", [event("AddToWishlist"), event("Checkout"), event("init")]),
    Case("event-name-space", "event-name-space", [event("OrderCompletedNow"), event("init")]),
    Case("event-name-missing", "event-name-missing", [user_request()]),
    Case("tag-id-conflict-call-log", "tag-id-conflict", [], call_log=[["load", TID], ["page"], ["load", TID]]),
    Case(
        "tag-id-conflict-two-pages",
        "tag-id-conflict",
        [event("init", tid=TID, loc=HOME), event("init", tid=OTHER_TID, loc=THANKS)],
    ),
    Case(
        "tag-id-conflict-call-log-pages",
        "tag-id-conflict",
        [],
        call_log=[[["load", TID], ["page"]], [["load", OTHER_TID], ["page"]]],
    ),
    Case(
        "event-before-load",
        "event-before-load",
        [],
        call_log=[["set", {"np": "segment"}], [" LOAD ", TID], ["page"], ["track", "checkout", {}]],
    ),
    Case(
        "event-id-reused",
        "event-id-reused",
        [
            event("checkout", ed=FULL_CHECKOUT, loc=THANKS),
            event("init", loc=HOME),
            event("checkout", ed=FULL_CHECKOUT, loc=THANKS),
        ],
    ),
]


def rule_findings(rule_id: str, case: Case):
    return [finding for finding in lint(case.requests, call_log=case.call_log) if finding.rule_id == rule_id]


@pytest.mark.parametrize("case", TRIGGERS, ids=lambda case: case.name)
def test_rule_triggers(case: Case) -> None:
    findings = rule_findings(case.rule_id, case)

    assert len(findings) == 1
    assert findings[0].severity == case.severity
    assert findings[0].message == case.message
    assert findings[0].request_index == case.request_index


@pytest.mark.parametrize("case", NEAR_MISSES, ids=lambda case: case.name)
def test_rule_near_miss(case: Case) -> None:
    assert rule_findings(case.rule_id, case) == []


def test_every_rule_has_trigger() -> None:
    assert {case.rule_id for case in TRIGGERS} == set(RULES_BY_ID)


def test_every_rule_has_near_miss() -> None:
    assert {case.rule_id for case in NEAR_MISSES} == set(RULES_BY_ID)


def test_rule_severities_known() -> None:
    assert {rule.severity for rule in RULES} <= set(SEVERITIES)


def test_rule_ids_kebab_case() -> None:
    assert [rule.id for rule in RULES if not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", rule.id)] == []


def test_rule_ids_unique() -> None:
    assert len(RULES_BY_ID) == len(RULES)


def test_placeholder_digest_matches_docs() -> None:
    assert PLACEHOLDER_DIGESTS[PLACEHOLDER_SHA256] == ("SHA-256", "<user_email_address>")


def test_empty_digest_matches_docs() -> None:
    assert PLACEHOLDER_DIGESTS[EMPTY_SHA256] == ("SHA-256", "")


def test_plain_email_masked_in_message() -> None:
    requests = [noscript({"event": "init", "tid": TID, "pd[em]": "jane.doe@example.com", "noscript": "1"})]
    [finding] = lint(requests)

    assert "jane.doe" not in finding.message


def test_plain_email_masked_in_value() -> None:
    requests = [noscript({"event": "init", "tid": TID, "pd[em]": "jane.doe@example.com", "noscript": "1"})]
    [finding] = lint(requests)

    assert finding.value == f"<email sha256:{short_sha256('jane.doe@example.com')}…>"


def test_email_masked_in_other_rules() -> None:
    requests = [event("checkout", ed={"value": 1, "currency": "USD", "order_id": "o1", "coupon": "bob@example.com"})]
    [finding] = lint(requests)

    assert finding.message == f'coupon "<email sha256:{short_sha256("bob@example.com")}…>" on event "checkout" is not read by Pinterest: send it as promo_code'


def test_disabled_rule_skipped() -> None:
    requests = [event("init", pd={"em": PLACEHOLDER_SHA256})]

    assert lint(requests, disabled={"em-placeholder"}) == []


def test_disabled_keeps_other_rules() -> None:
    requests = [event("add_to_cart", ed={"value": 10})]
    findings = lint(requests, disabled={"event-name-misspelt"})

    assert [finding.rule_id for finding in findings] == ["value-without-currency"]


def test_unknown_rule_id_named() -> None:
    with pytest.raises(ValueError) as error:
        lint([], disabled={"em-placeholder", "no-such-rule"})

    assert "'no-such-rule'" in str(error.value)


def test_unknown_rule_id_lists_known() -> None:
    with pytest.raises(ValueError) as error:
        lint([], disabled={"no-such-rule"})

    assert str(error.value).endswith("known rule ids: " + ", ".join(rule.id for rule in RULES))


def test_disabled_string_rejected() -> None:
    with pytest.raises(TypeError):
        lint([], disabled="em-placeholder")


def test_user_requests_skip_event_rules() -> None:
    requests = [user_request(pd={"em": "jane@example.com"}, ed={"value": "ten", "currency": "dollars"})]

    assert lint(requests) == []


def test_other_endpoint_ignored() -> None:
    other = TagRequest(method="GET", url="https://example.com/", endpoint="other", pinterest=False, tid=OTHER_TID)

    assert lint([event("init"), other]) == []


def test_clean_page_has_no_findings() -> None:
    requests = [
        user_request(pd={"em": REAL_SHA256}),
        event("init", pd={"em": REAL_SHA256}, loc=THANKS),
        event("checkout", ed=FULL_CHECKOUT, pd={"em": REAL_SHA256}, loc=THANKS),
    ]
    call_log = [["load", TID, {"em": "test@example.com"}], ["page"], ["track", "checkout", FULL_CHECKOUT]]

    assert lint(requests, call_log=call_log) == []


def test_findings_ordered_call_log_first() -> None:
    requests = [event("add_to_cart"), event("init", pd={"em": EMPTY_SHA256})]
    findings = lint(requests, call_log=[["page"], ["load", TID]])

    assert [(finding.request_index, finding.rule_id) for finding in findings] == [
        (None, "event-before-load"),
        (0, "event-name-misspelt"),
        (1, "em-placeholder"),
    ]


def test_render_text_lines() -> None:
    findings = lint([event("init", pd={"em": EMPTY_SHA256})], call_log=[["page"], ["load", TID]])

    assert render_text(findings) == [
        'error: pintrk call 0 ("page") comes before any load: the tag sends no event for it [event-before-load]',
        f'requests[0]: error: em {EMPTY_SHA256} is the SHA-256 hash of "", not of a user\'s email [em-placeholder]',
    ]


def test_findings_to_json() -> None:
    findings = lint([event("checkout", ed={"value": 1, "currency": "US$", "order_id": "o1"})])

    assert json.loads(json.dumps(findings_to_json(findings))) == [
        {
            "rule_id": "currency-not-iso4217",
            "severity": "error",
            "message": 'currency "US$" on event "checkout" is not an ISO 4217 code',
            "request_index": 0,
            "value": "US$",
        }
    ]


def documented_rules() -> dict[str, str]:
    """Map each rule id documented in docs/lint-rules.md to its stated severity."""
    text = DOCS.read_text(encoding="utf-8")
    return dict(re.findall(r"^### `([a-z0-9-]+)`\n\nSeverity: (\w+)$", text, flags=re.MULTILINE))


def test_docs_match_rules() -> None:
    assert documented_rules() == {rule.id: rule.severity for rule in RULES}
