"""The lint rules, in the order their findings are listed for one request.

Each rule is documented in docs/lint-rules.md under its id.
"""

from __future__ import annotations

from harness.lint import event_data, event_names, identity, page
from harness.lint.findings import Rule

RULES: tuple[Rule, ...] = (
    Rule("event-before-load", "error", "a page or track call made before the first load", page.check_event_before_load),
    Rule("tag-id-conflict", "error", "different tag ids loaded or sent on one page", page.check_tag_id_conflict),
    Rule("event-name-missing", "error", "an event request without an event name", event_names.check_event_name_missing),
    Rule(
        "event-name-misspelt",
        "warning",
        "a partner-defined event name that looks like a standard event",
        event_names.check_event_name_misspelt,
    ),
    Rule(
        "event-name-space",
        "info",
        "a partner-defined event name that contains spaces",
        event_names.check_event_name_space,
    ),
    Rule("em-placeholder", "error", "em is the hash of placeholder text, not of an email", identity.check_em_placeholder),
    Rule("em-not-hashed", "error", "em is not 64, 40 or 32 hex digits", identity.check_em_not_hashed),
    Rule("value-not-numeric", "error", "value is not a number", event_data.check_value_not_numeric),
    Rule("value-without-currency", "warning", "value sent without currency", event_data.check_value_without_currency),
    Rule("currency-not-iso4217", "error", "currency is not an ISO 4217 code", event_data.check_currency_not_iso4217),
    Rule("currency-case", "warning", "currency is an ISO 4217 code not in upper case", event_data.check_currency_case),
    Rule(
        "order-quantity-not-integer",
        "warning",
        "order_quantity is not an integer",
        event_data.check_order_quantity_not_integer,
    ),
    Rule("line-items-not-list", "error", "line_items is not a list", event_data.check_line_items_not_list),
    Rule(
        "line-item-missing-product-id",
        "warning",
        "a checkout or add-to-cart line item without product_id",
        event_data.check_line_item_missing_product_id,
    ),
    Rule(
        "checkout-missing-fields",
        "warning",
        "a checkout without value, currency or order_id",
        event_data.check_checkout_missing_fields,
    ),
    Rule(
        "coupon-not-promo-code",
        "warning",
        "coupon sent where Pinterest reads promo_code",
        event_data.check_coupon_not_promo_code,
    ),
    Rule("event-id-reused", "warning", "one event_id on different events", page.check_event_id_reused),
)

RULES_BY_ID = {rule.id: rule for rule in RULES}
