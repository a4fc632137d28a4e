"""The base code's noscript image, found in a page's HTML and decoded."""

from __future__ import annotations

from harness.lint import lint
from harness.noscript import noscript_images

PAGE = "https://shop.example/stores.html"
BASE_CODE_NOSCRIPT = """
<noscript>
  <img height="1" width="1" style="display:none;" alt=""
    src="https://ct.pinterest.com/v3/?event=init&tid=2613579246801&pd[em]=<hashed_email_address>&noscript=1" />
</noscript>
"""


def test_base_code_image_decoded() -> None:
    [image] = noscript_images(f"<html><head>{BASE_CODE_NOSCRIPT}</head></html>", PAGE)
    assert image.page_url == PAGE
    assert image.request.transport == "noscript"
    assert image.request.event == "init"
    assert image.request.tid == "2613579246801"
    assert image.request.pd == {"em": "<hashed_email_address>"}


def test_placeholder_linted() -> None:
    [image] = noscript_images(BASE_CODE_NOSCRIPT, PAGE)
    assert [finding.rule_id for finding in lint([image.request])] == ["em-not-hashed"]


def test_entities_unescaped() -> None:
    html = '<noscript><img src="https://ct.pinterest.com/v3/?event=checkout&amp;tid=1&amp;ed[value]=10&amp;noscript=1"></noscript>'
    [image] = noscript_images(html, PAGE)
    assert image.request.event == "checkout"
    assert image.request.ed == {"value": "10"}


def test_image_outside_noscript_ignored() -> None:
    html = '<img src="https://ct.pinterest.com/v3/?event=init&tid=1&noscript=1"><noscript><p>Enable JavaScript</p></noscript>'
    assert noscript_images(html, PAGE) == []


def test_other_hosts_ignored() -> None:
    html = '<noscript><img src="https://www.facebook.com/tr?id=1&ev=PageView&noscript=1"><img src="/pixel.gif"></noscript>'
    assert noscript_images(html, PAGE) == []


def test_several_images_in_order() -> None:
    html = (
        '<noscript><img src="https://ct.pinterest.com/v3/?event=init&tid=1&noscript=1"></noscript>'
        '<p>text</p>'
        '<noscript><img src="//ct.pinterest.com/v3/?event=pagevisit&tid=1&noscript=1"/></noscript>'
    )
    images = noscript_images(html, PAGE)
    assert [image.request.event for image in images] == ["init", "pagevisit"]
    assert images[1].request.url == "https://ct.pinterest.com/v3/?event=pagevisit&tid=1&noscript=1"
