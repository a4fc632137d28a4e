"""Tests for decoding requests to Pinterest's tag endpoints (harness.wire)."""

from __future__ import annotations

import json
from urllib.parse import parse_qsl, quote, unquote, unquote_to_bytes, urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.urlencoded import parse_fields, percent_decode
from harness.wire import TagRequest, decode_request
from shared_vectors import wire_captures

CAPTURES = list(wire_captures())
TID = "2612345678901"
EMAIL_HASH = "973dfe463ec85785f5f95af5ba3906eedb2d931c24e69824a89ea65dba4e813b"
TAG_FIELDS = ("tid", "event", "ed", "pd", "ad", "cb")


def decode_capture(description_part: str) -> TagRequest:
    """Decode the one capture whose description contains `description_part`."""
    matches = [capture for capture in CAPTURES if description_part in capture[0]]
    assert len(matches) == 1, f"{len(matches)} captures match {description_part!r}"
    _, method, url, body = matches[0]
    return decode_request(url, method, body)


def encode_value(value: object) -> str:
    """Encode a parameter value as the tag does: objects as JSON, then encodeURIComponent."""
    text = value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
    return quote(text, safe="!*'()")


def query(**params: object) -> str:
    return "&".join(f"{encode_value(name)}={encode_value(value)}" for name, value in params.items())


def tag_url(path: str = "/v3/", host: str = "ct.pinterest.com", **params: object) -> str:
    return f"https://{host}{path}?{query(**params)}"


def url_with_event_data(text: str) -> str:
    """Return a lead event URL whose ed is `text`, encoded once, JSON or not."""
    return f"https://ct.pinterest.com/v3/?tid={TID}&event=lead&ed={quote(text, safe='')}"


def expected_from_urllib(url: str) -> dict[str, object]:
    """Decode a capture independently with urllib and json, as the test's reference."""
    fields = dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))
    expected: dict[str, object] = {"tid": fields.pop("tid", None), "event": fields.pop("event", None)}
    for name in ("ed", "pd", "ad"):
        text = fields.pop(name, None)
        brackets = {key[len(name) + 1 : -1]: fields.pop(key) for key in list(fields) if key.startswith(name + "[")}
        try:
            expected[name] = json.loads(text) if text is not None else (brackets or None)
        except ValueError:
            expected[name] = None
    cb = fields.pop("cb", None)
    expected["cb"] = int(cb) if cb is not None else None
    expected["params"] = fields
    return expected


# Every capture, checked against an independent decoding.


@pytest.mark.parametrize("capture", CAPTURES, ids=[capture[0][:60] for capture in CAPTURES])
def test_capture_fields(capture):
    _, method, url, body = capture
    request = decode_request(url, method, body)
    expected = expected_from_urllib(url)
    assert request.pinterest
    assert request.endpoint == urlsplit(url).path.strip("/")
    for name in TAG_FIELDS:
        assert getattr(request, name) == expected[name], name
    assert request.params == expected["params"]


@pytest.mark.parametrize("capture", [c for c in CAPTURES if "truncated" not in c[0]], ids=lambda c: c[0][:60])
def test_capture_has_no_problems(capture):
    _, method, url, body = capture
    assert decode_request(url, method, body).problems == []


# Field values read off individual captures.


def test_init_with_hashed_em():
    request = decode_capture("init with hashed em")
    assert request.event == "init"
    assert request.tid == "abc123"
    assert request.pd == {"em": "f660ab912ec121d1b1e928a0bb4bc61b15f5ad44d5efdc4e1c92a25e99b8e44a"}
    assert request.ad["loc"] == "https://www.example.com/"
    assert request.ad["sw"] == 2560
    assert request.cb == 1583538016603
    assert request.transport == "get"


def test_checkout_line_items():
    request = decode_capture("checkout with two line items")
    assert request.event == "checkout"
    assert request.ed["value"] == 116
    assert request.ed["order_quantity"] == 2
    assert request.ed["currency"] == "USD"
    names = [item["product_name"] for item in request.ed["line_items"]]
    assert names == ["Pillows (Set of 2)", "Pillows, Large (Set of 2)"]
    assert [item["product_price"] for item in request.ed["line_items"]] == [48, 68]


def test_truncated_capture_problems():
    request = decode_capture("truncated on purpose")
    assert request.ed is None
    assert request.pd is None
    assert request.raw["ed"].startswith('{"value":116,')
    assert request.raw["pd"].startswith('{"em":"f660ab91')
    ed_problems = [p for p in request.problems if p.startswith("ed: invalid JSON")]
    pd_problems = [p for p in request.problems if p.startswith("pd: invalid JSON")]
    assert len(ed_problems) == 1
    assert len(pd_problems) == 1
    # Both texts end early, so the error points just past their last character.
    assert f"at character {len(request.raw['ed'])}" in ed_problems[0]
    assert f"at character {len(request.raw['pd'])}" in pd_problems[0]
    assert len(request.problems) == 2
    assert request.ad["loc"] == "https://www.example.com/"
    assert request.cb == 1583868246432


def test_newer_tag_init_client_hints():
    request = decode_capture("init with np, client hints")
    assert request.pd["np"] == "gtm"
    assert request.ad["loc"] == "https://shop.example/ectest.html?debug=1782756165094"
    assert request.ad["is_eu"] is True
    assert request.ad["platform"] == "Windows"


def test_newer_tag_addtocart():
    request = decode_capture("addtocart with a custom key")
    assert request.event == "addtocart"
    assert request.ed["custom 1"] == "custom value 1"
    assert request.ed["order_quantity"] == "1"
    assert request.ed["line_items"] == [{"product_id": "item 1", "product_category": "general"}]
    assert request.pd["aem_eligible_list"] == ["em", "ph"]
    assert request.pd["em"] == "e5c8e5ed5d033ebd4c707cc0f991a9940ba2e330483064eda4d068223fbefcab"
    assert request.params == {"dep": "4,TAGS_RECEIVED", "stc": "true"}


def test_noscript_capture():
    request = decode_capture("noscript fallback")
    assert request.transport == "noscript"
    assert request.pd == {"em": EMAIL_HASH}
    assert request.params == {"noscript": "1"}
    assert request.event == "init"


def test_user_capture():
    request = decode_capture("identity request sent once per page")
    assert request.endpoint == "user"
    assert request.event is None
    assert request.params == {"dep": "2,PAGE_LOAD"}
    assert request.pd == {"em": EMAIL_HASH}


def test_checkout_after_user_answer():
    request = decode_capture("checkout sent after the /user/ answer")
    assert request.ed == {"value": 10, "currency": "USD", "line_items": [{"product_id": "1"}]}
    assert request.params == {"dep": "5,EVENT_TAGS_ABSENT"}


# Endpoints and hosts.


@pytest.mark.parametrize(
    ("path", "endpoint"),
    [("/v3/", "v3"), ("/v3", "v3"), ("/user/", "user"), ("/user", "user"), ("/v3/x", "other"), ("/V3/", "other"), ("/", "other")],
)
def test_trailing_slash_optional(path, endpoint):
    assert decode_request(tag_url(path, tid=TID, event="init")).endpoint == endpoint


@pytest.mark.parametrize("host", ["CT.PINTEREST.COM", "Ct.Pinterest.Com", "ct.pinterest.com.", "ct.pinterest.com:443"])
def test_host_case_ignored(host):
    request = decode_request(tag_url(host=host, tid=TID, event="init"))
    assert request.endpoint == "v3"
    assert request.problems == []


@pytest.mark.parametrize("url", ["https://s.pinimg.com/ct/core.js", "https://ct.pinterest.com/ct.html", "https://www.pinterest.com/v3/?tid=1"])
def test_other_pinterest_request(url):
    request = decode_request(url)
    assert request.pinterest
    assert request.endpoint == "other"
    assert request.problems == []


def test_non_pinterest_host():
    request = decode_request("https://example.com/v3/?tid=1&event=init")
    assert not request.pinterest
    assert request.endpoint == "other"
    assert request.problems == ["host: example.com is not a Pinterest host; nothing was decoded"]
    assert request.tid is None


@pytest.mark.parametrize(
    "url",
    [
        "https://ct.pinterest.com.evil.example/v3/?tid=1",
        "https://evilpinterest.com/v3/?tid=1",
        "https://ct.pinterest.com@evil.example/v3/?tid=1",
        "https://evil.example\\@ct.pinterest.com/v3/?tid=1",
        "https://evil.example/ct.pinterest.com/v3/?tid=1",
    ],
)
def test_lookalike_host_rejected(url):
    request = decode_request(url)
    assert not request.pinterest
    assert "is not a Pinterest host" in request.problems[0]


@pytest.mark.parametrize("url", ["ct.pinterest.com/v3/?tid=1", "", "/v3/?tid=1"])
def test_url_without_host(url):
    request = decode_request(url)
    assert not request.pinterest
    assert request.problems[0].startswith("URL: no host")


def test_fragment_ignored():
    request = decode_request(tag_url(tid=TID, event="init") + "#cb=5")
    assert request.cb is None
    assert request.params == {}


# Form encoding.


def test_plus_in_query_is_space():
    request = decode_request(f"https://ct.pinterest.com/v3/?tid={TID}&event=lead&ed=%7B%22name%22%3A%22red+shoes%22%7D")
    assert request.ed == {"name": "red shoes"}


def test_encoded_plus_stays_plus():
    request = decode_request(tag_url(tid=TID, event="lead", ed={"name": "a+b"}))
    assert request.ed == {"name": "a+b"}


def test_plus_in_form_body_is_space():
    body = f"tid={TID}&event=checkout&ed=%7B%22product_name%22%3A%22Blue+Pillow%22%7D"
    request = decode_request("https://ct.pinterest.com/v3/", "POST", body, "application/x-www-form-urlencoded")
    assert request.ed == {"product_name": "Blue Pillow"}
    assert request.transport == "form"
    assert request.problems == []


def test_form_body_with_charset():
    body = query(tid=TID, event="checkout", ed={"value": 10})
    request = decode_request("https://ct.pinterest.com/v3/", "POST", body.encode(), "application/x-www-form-urlencoded; charset=UTF-8")
    assert request.ed == {"value": 10}
    assert request.tid == TID


def test_query_and_body_merged():
    body = query(event="checkout", ed={"value": 10})
    request = decode_request(f"https://ct.pinterest.com/v3/?tid={TID}", "POST", body)
    assert request.tid == TID
    assert request.event == "checkout"


def test_unknown_body_type_reported():
    request = decode_request(f"https://ct.pinterest.com/v3/?tid={TID}&event=init", "POST", '{"ed": {}}', "application/json")
    assert request.problems == ["body: content type 'application/json' is not decoded; the tag sends form-encoded bodies"]


def test_body_not_utf8():
    request = decode_request("https://ct.pinterest.com/v3/", "POST", b"tid=1&event=lead&x=\xff\xfe")
    assert request.tid == "1"
    assert request.params == {"x": "\ufffd\ufffd"}
    assert request.problems[0].startswith("body: not valid UTF-8 (byte 0xff at byte 19)")


def test_other_input_types():
    request = decode_request(bytearray(b"https://ct.pinterest.com/v3/?tid=1&event=lead"), None, memoryview(b"ed=%7B%7D"))
    assert request.event == "lead"
    assert request.ed == {}
    assert request.method == ""
    assert decode_request(None).problems[0].startswith("URL: no host")


def test_url_bytes_not_utf8():
    request = decode_request(b"https://ct.pinterest.com/v3/?tid=1&event=lead&x=\xff")
    assert request.event == "lead"
    assert request.problems[0].startswith("URL: not valid UTF-8")


# Percent escapes.


def test_malformed_escape_kept():
    request = decode_request(f"https://ct.pinterest.com/v3/?tid={TID}&event=init&dep=4%ZZx")
    assert request.params == {"dep": "4%ZZx"}
    assert request.problems == ["dep: malformed percent escape '%ZZ' at character 1, kept as written"]


@pytest.mark.parametrize(("raw", "kept"), [("a%", "a%"), ("a%4", "a%4"), ("%%41", "%A"), ("%G1%41", "%G1A")])
def test_malformed_escape_edges(raw, kept):
    request = decode_request(f"https://ct.pinterest.com/v3/?tid={TID}&event=init&x={raw}")
    assert request.params["x"] == kept
    assert "malformed percent escape" in request.problems[0]


def test_several_malformed_escapes_counted():
    request = decode_request(f"https://ct.pinterest.com/v3/?tid={TID}&event=init&x=%ZZ%YY")
    assert request.problems == ["x: 2 malformed percent escapes (first '%ZZ' at character 0), kept as written"]


def test_malformed_escape_inside_json():
    request = decode_request(f"https://ct.pinterest.com/v3/?tid={TID}&event=lead&ed=%7B%22q%22%3A%22100%ZZ%22%7D")
    assert request.ed == {"q": "100%ZZ"}
    assert request.problems[0].startswith("ed: malformed percent escape '%ZZ'")


def test_malformed_escape_in_name():
    request = decode_request(f"https://ct.pinterest.com/v3/?tid={TID}&event=init&a%ZZ=1")
    assert request.params == {"a%ZZ": "1"}
    assert request.problems[0].startswith("parameter name 'a%ZZ': malformed percent escape")


def test_escape_not_utf8():
    request = decode_request(f"https://ct.pinterest.com/v3/?tid={TID}&event=init&dep=%FF")
    assert request.params == {"dep": "\ufffd"}
    assert request.problems == ["dep: percent escapes decode to bytes that are not UTF-8 (byte 0xff at byte 0); replaced with U+FFFD"]


def test_escape_decodes_utf8():
    request = decode_request(tag_url(tid=TID, event="lead", ed={"name": "Crème brûlée"}))
    assert request.ed == {"name": "Crème brûlée"}


def test_percent_text_in_json_decoded_once():
    loc = "https://shop.example/search?q=red%20shoes&x=%ZZ"
    request = decode_request(tag_url(tid=TID, event="init", ad={"loc": loc}))
    assert request.ad == {"loc": loc}
    assert request.problems == []


def test_doubly_encoded_get_not_decoded_twice():
    url = f"https://ct.pinterest.com/v3/?tid={TID}&event=lead&ed={quote(encode_value({'value': 1}), safe='')}"
    request = decode_request(url)
    assert request.ed is None
    assert request.raw["ed"] == encode_value({"value": 1})
    assert request.problems[0].endswith("; it looks percent-encoded twice; the text is kept in raw")


def test_fetch_body_decoded_twice():
    fields = {"event": "checkout", "tid": TID, "ed": {"value": 10, "note": "50% off"}, "ad": {"loc": "https://shop.example/?q=a%20b"}, "dep": "4,TAGS_RECEIVED"}
    body = "&".join(f"{name}={quote(encode_value(value), safe='')}" for name, value in fields.items())
    request = decode_request("https://ct.pinterest.com/v3/", "POST", body, "text/plain;charset=UTF-8")
    assert request.transport == "fetch"
    assert request.ed == {"value": 10, "note": "50% off"}
    assert request.ad == {"loc": "https://shop.example/?q=a%20b"}
    assert request.params == {"dep": "4,TAGS_RECEIVED"}
    assert request.problems == []


def test_form_body_with_percent_braces_not_fetch():
    # One decoding gives `{"q":"%7B"}`: it starts with `{`, so it is not the fetch form.
    body = query(tid=TID, event="search", ed={"q": "%7B"})
    request = decode_request("https://ct.pinterest.com/v3/", "POST", body)
    assert request.transport == "form"
    assert request.ed == {"q": "%7B"}


# Noscript bracket keys.


def test_noscript_bracket_keys():
    url = f"https://ct.pinterest.com/v3/?event=checkout&tid={TID}&pd[em]={EMAIL_HASH}&ed[value]=10&ed[currency]=USD&noscript=1"
    request = decode_request(url)
    assert request.pd == {"em": EMAIL_HASH}
    assert request.ed == {"value": "10", "currency": "USD"}
    assert request.transport == "noscript"
    assert request.problems == []


def test_encoded_bracket_keys():
    request = decode_request(f"https://ct.pinterest.com/v3/?event=init&tid={TID}&pd%5Bem%5D={EMAIL_HASH}")
    assert request.pd == {"em": EMAIL_HASH}
    assert request.transport == "noscript"


def test_nested_bracket_key_kept():
    request = decode_request(f"https://ct.pinterest.com/v3/?event=checkout&tid={TID}&ed[line_items][0]=x")
    assert request.ed is None
    assert request.params == {"ed[line_items][0]": "x"}
    assert request.problems == ["ed[line_items][0]: nested bracket keys are not decoded; kept in params"]


def test_bracket_and_json_both():
    url = tag_url(tid=TID, event="init", pd={"em": EMAIL_HASH}) + "&pd[np]=site"
    request = decode_request(url)
    assert request.pd == {"em": EMAIL_HASH}
    assert request.params == {"pd[np]": "site"}
    assert request.problems[0].startswith("pd: given both as JSON and as bracket keys")


def test_other_bracket_key_is_param():
    request = decode_request(tag_url(tid=TID, event="init") + "&x[y]=1")
    assert request.params == {"x[y]": "1"}
    assert request.transport == "get"


def test_plain_email_in_noscript():
    request = decode_request(f"https://ct.pinterest.com/v3/?event=init&tid={TID}&pd[em]=jane.doe@example.com&noscript=1")
    assert request.problems == ["pd.em: a plain email address; the tag sends em as a SHA-256 hash"]


def test_em_not_a_hash():
    request = decode_request(tag_url(tid=TID, event="init", pd={"em": "abc123"}))
    assert request.problems == ["pd.em: not a hash (expected 32, 40 or 64 hex digits)"]


# Required fields.


def test_missing_tid():
    request = decode_request(tag_url(event="init"))
    assert request.tid is None
    assert request.problems == ["tid: missing; every tag request carries the tag id"]


def test_empty_tid():
    assert decode_request(tag_url(tid="", event="init")).problems == ["tid: empty"]


def test_empty_event():
    request = decode_request(tag_url(tid=TID, event=""))
    assert request.event == ""
    assert request.problems == ["event: empty"]


def test_missing_event_on_v3():
    request = decode_request(tag_url(tid=TID, ed={"value": 1}))
    assert request.problems == ["event: missing; the tag leaves it out when track() is called without a name"]


def test_user_without_event_is_clean():
    assert decode_request(tag_url("/user/", tid=TID, dep="2,PAGE_LOAD")).problems == []


def test_other_path_skips_tag_checks():
    assert decode_request("https://ct.pinterest.com/ct.html?x=1").problems == []


def test_repeated_parameter_first_wins():
    request = decode_request(tag_url(tid=TID, event="init") + "&tid=other&tid=third")
    assert request.tid == TID
    assert request.problems == ["tid: given 3 times; the first value is used"]


# cb and JSON values.


def test_cb_integer():
    assert decode_request(tag_url(tid=TID, event="init", cb="1700000000000")).cb == 1700000000000


@pytest.mark.parametrize("text", ["abc", "12.5", "1e3", "", " 12", "１２", "9" * 40])
def test_cb_not_integer(text):
    request = decode_request(tag_url(tid=TID, event="init", cb=text))
    assert request.cb is None
    assert request.raw["cb"] == text
    assert request.problems[0].startswith("cb: expected an integer (milliseconds since the epoch), got ")


def test_cb_email_not_shown():
    request = decode_request(tag_url(tid=TID, event="init", cb="jane@example.com"))
    assert "jane" not in request.problems[0]


def test_invalid_json_position():
    request = decode_request(url_with_event_data('{"a":1 "b":2}'))
    assert request.ed is None
    assert request.problems == ["ed: invalid JSON (Expecting ',' delimiter at character 7); the text is kept in raw"]


def test_json_not_object():
    request = decode_request(tag_url(tid=TID, event="lead", ed=[1, 2]))
    assert request.ed == [1, 2]
    assert request.problems == ["ed: JSON is an array, expected an object"]


def test_json_nan_rejected():
    request = decode_request(url_with_event_data('{"value":NaN}'))
    assert request.ed is None
    assert request.problems == ["ed: invalid JSON (NaN is not a JSON value); the text is kept in raw"]


def test_json_surrounding_whitespace():
    request = decode_request(url_with_event_data(' {"value":1} '))
    assert request.ed == {"value": 1}
    assert request.problems == []


def test_json_trailing_data():
    request = decode_request(url_with_event_data("{}x"))
    assert request.problems == ["ed: invalid JSON (Extra data at character 2); the text is kept in raw"]


def test_json_deep_nesting():
    request = decode_request(url_with_event_data("[" * 100_000))
    assert request.ed is None
    assert len(request.raw["ed"]) == 100_000
    assert request.problems[0].startswith("ed: ")


def test_json_huge_integer():
    request = decode_request(url_with_event_data('{"v":' + "1" * 5000 + "}"))
    assert request.ed is None
    assert request.problems[0].startswith("ed: invalid JSON (Exceeds the limit")


def test_unknown_params_kept():
    request = decode_request(tag_url(tid=TID, event="init", ov={"x": 1}, stc="true", new_key="v"))
    assert request.params == {"ov": '{"x":1}', "stc": "true", "new_key": "v"}


def test_method_uppercased():
    assert decode_request(tag_url(tid=TID, event="init"), " post ").method == "POST"


def test_to_json_fields():
    request = decode_capture("checkout with two line items")
    document = json.loads(json.dumps(request.to_json()))
    for key in ("endpoint", "method", "event", "tid", "ed", "pd", "ad", "cb", "params", "problems"):
        assert key in document, key
    assert document["ed"]["line_items"][1]["product_id"] == "15"


# Properties: any input decodes to a TagRequest without raising.

# Characters that matter to the decoder, so mutations hit its branches often.
SPECIAL_PIECES = list("%&=+[]#?/\\{}\":,@. 0123456789abcdefABCDEFZ") + ["%7B", "%22", "%25", "\u00e9", "\ud800", "\x00"]
SPECIAL_TEXT = st.lists(st.sampled_from(SPECIAL_PIECES), max_size=8).map("".join)
CONTENT_TYPES = st.one_of(st.none(), st.sampled_from(["application/x-www-form-urlencoded", "text/plain;charset=UTF-8", "application/json", ""]), st.text(max_size=20))
# A capture's URL, a position in it, and a replacement for a slice starting there.
EDITS = st.lists(st.tuples(st.floats(0, 1), st.integers(0, 8), SPECIAL_TEXT), min_size=1, max_size=6)


def mutate(text: str, edits: list[tuple[float, int, str]]) -> str:
    for fraction, length, insert in edits:
        position = int(fraction * len(text))
        text = text[:position] + insert + text[position + length :]
    return text


def check_request(request: object) -> None:
    assert isinstance(request, TagRequest)
    assert request.endpoint in ("v3", "user", "other")
    assert all(isinstance(problem, str) for problem in request.problems)
    assert request.cb is None or isinstance(request.cb, int)
    json.dumps(request.to_json())


@settings(max_examples=3000, deadline=None)
@given(capture=st.sampled_from(CAPTURES), edits=EDITS, truncate=st.floats(0.2, 1))
def test_mutated_captures_decode(capture, edits, truncate):
    url = mutate(capture[2], edits)
    url = url[: max(1, int(len(url) * truncate))]
    check_request(decode_request(url, capture[1]))


@settings(max_examples=3000, deadline=None)
@given(capture=st.sampled_from(CAPTURES), edits=EDITS, twice=st.booleans(), content_type=CONTENT_TYPES, tail=st.binary(max_size=8))
def test_mutated_bodies_decode(capture, edits, twice, content_type, tail):
    body = urlsplit(capture[2]).query
    if twice:
        body = "&".join(f"{name}={quote(value, safe='')}" for name, _, value in (part.partition("=") for part in body.split("&")))
    body = mutate(body, edits).encode("utf-8", "surrogatepass") + tail
    check_request(decode_request("https://ct.pinterest.com/v3/", "POST", body, content_type))


@settings(max_examples=2500, deadline=None)
@given(url=st.text(), method=st.text(max_size=8), body=st.one_of(st.none(), st.text(), st.binary()), content_type=CONTENT_TYPES)
def test_random_text_decodes(url, method, body, content_type):
    check_request(decode_request(url, method, body, content_type))
    check_request(decode_request("https://ct.pinterest.com/v3/?" + url, method, body, content_type))


@settings(max_examples=1000, deadline=None)
@given(url=st.binary(), body=st.binary(), method=st.binary(max_size=8))
def test_random_bytes_decode(url, body, method):
    check_request(decode_request(url, method, body))
    check_request(decode_request(b"https://ct.pinterest.com/v3/?" + url, method, body))


PARAM_NAMES = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=10).filter(
    lambda name: name not in TAG_FIELDS and not name.endswith("]")
)


@settings(max_examples=1000, deadline=None)
@given(params=st.dictionaries(PARAM_NAMES, st.text(st.characters(blacklist_categories=("Cs",))), max_size=5))
def test_params_round_trip(params):
    request = decode_request(tag_url(tid=TID, event="init") + "&" + query(**params))
    assert request.params == params
    assert request.problems == []


ESCAPED_TEXT = st.lists(
    st.one_of(st.characters(min_codepoint=0, max_codepoint=127).filter(lambda c: c not in "%="), st.from_regex(r"%[0-9A-Fa-f]{2}", fullmatch=True))
).map("".join)


@settings(max_examples=1000, deadline=None)
@given(text=ESCAPED_TEXT)
def test_fast_unquote_matches_urllib(text):
    decoded, problems = percent_decode(text)
    assert decoded == unquote(text, errors="replace")
    try:
        unquote_to_bytes(text).decode("utf-8")
        valid_utf8 = True
    except UnicodeDecodeError:
        valid_utf8 = False
    assert (problems == ()) == valid_utf8


FORM_TEXT = st.lists(
    st.one_of(st.sampled_from(list("&=+ab%é")), st.from_regex(r"%[0-9A-Fa-f]{2}", fullmatch=True), st.sampled_from(["%C3%A9", "%26", "%3D", "%2B"]))
).map("".join)


@settings(max_examples=1000, deadline=None)
@given(text=FORM_TEXT)
def test_fields_match_parse_qsl(text):
    fields, problems = parse_fields(text)
    if not problems:
        assert fields == parse_qsl(text, keep_blank_values=True)


def test_unknown_method_reported() -> None:
    request = decode_request("https://ct.pinterest.com/v3/?tid=2612345678901&event=init", "GARBAGE")
    assert request.method == "GARBAGE"
    assert "method: 'GARBAGE' is not an HTTP method (expected GET, POST, HEAD, PUT, PATCH, DELETE, OPTIONS, CONNECT, TRACE)" in request.problems
    assert request.event == "init"


def test_known_methods_accepted() -> None:
    for method in ("get", "POST", " head "):
        request = decode_request("https://ct.pinterest.com/v3/?tid=2612345678901&event=init", method)
        assert request.problems == []
