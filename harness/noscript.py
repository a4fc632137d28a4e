"""Find the Pinterest base code's `<noscript><img>` fallback in a page's HTML and decode it.

Pure. A browser with JavaScript on never loads an image inside `<noscript>`,
so a check never captures this request on the wire, because only visitors
without JavaScript send it. The check therefore reads it from the HTML the server
sent and decodes its URL as the request it would be.
"""

from __future__ import annotations

from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urljoin

from harness.wire import TagRequest, decode_request, is_pinterest_host, split_url


@dataclass
class NoscriptImage:
    """One image inside `<noscript>` that points at a Pinterest host, decoded."""

    page_url: str
    src: str
    request: TagRequest


class _NoscriptImageParser(HTMLParser):
    """Collects the `src` of every `<img>` inside a `<noscript>` element."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.depth = 0
        self.sources: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "noscript":
            self.depth += 1
        elif tag == "img" and self.depth > 0:
            source = dict(attrs).get("src")
            if source:
                self.sources.append(source.strip())

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag == "noscript":
            self.depth -= 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "noscript" and self.depth > 0:
            self.depth -= 1


def noscript_images(html: str, page_url: str) -> list[NoscriptImage]:
    """Return the noscript images of a page that point at a Pinterest host, in document order.

    Relative sources are resolved against `page_url`. Attribute values are
    unescaped as HTML (`&amp;` becomes `&`) before decoding.
    """
    parser = _NoscriptImageParser()
    parser.feed(html)
    parser.close()
    images = []
    for source in parser.sources:
        url = urljoin(page_url, source)
        if not is_pinterest_host(split_url(url)[0]):
            continue
        images.append(NoscriptImage(page_url, source, decode_request(url, "GET")))
    return images
