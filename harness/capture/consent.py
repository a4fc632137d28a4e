"""Look for a consent manager in an open page: banner elements, CMP globals, cookies.

The signals and their meaning live in harness.diagnose; this module only
collects them from the browser.
"""

from __future__ import annotations

import logging

from playwright.sync_api import BrowserContext, Page
from playwright.sync_api import Error as PlaywrightError

from harness.diagnose import CMP_GLOBALS, CMP_SELECTORS, ConsentSignals

log = logging.getLogger(__name__)

# Visible elements that match a known CMP selector, or whose id, class or
# aria-label names consent or cookies and whose text mentions them too.
_PROBE = """([selectors, globalNames]) => {
  const visible = (element) => {
    const box = element.getBoundingClientRect();
    const style = getComputedStyle(element);
    return box.width > 0 && box.height > 0 && style.visibility !== "hidden" && style.display !== "none";
  };
  const describe = (element) => {
    let text = element.tagName.toLowerCase();
    if (element.id) text += "#" + element.id;
    else if (typeof element.className === "string" && element.className.trim()) text += "." + element.className.trim().split(/\\s+/)[0];
    return text;
  };
  const found = new Set();
  for (const selector of selectors) {
    for (const element of document.querySelectorAll(selector)) {
      if (visible(element)) found.add(describe(element));
    }
  }
  const named = /consent|cookie|gdpr|cmp\\b/i;
  const wording = /cookie|consent|privacy/i;
  for (const element of document.querySelectorAll("[id], [class], [aria-label]")) {
    const label = [element.id, typeof element.className === "string" ? element.className : "", element.getAttribute("aria-label") || ""].join(" ");
    if (!named.test(label) || !visible(element) || !wording.test(element.textContent || "")) continue;
    // Report the outermost match only, not each of its descendants.
    let ancestor = element.parentElement;
    let nested = false;
    while (ancestor) {
      if (found.has(describe(ancestor))) { nested = true; break; }
      ancestor = ancestor.parentElement;
    }
    if (!nested) found.add(describe(element));
  }
  const globals = globalNames.filter((name) => typeof window[name] !== "undefined");
  return {elements: Array.from(found).slice(0, 10), globals};
}"""


def probe_consent(page: Page, context: BrowserContext) -> ConsentSignals:
    """Collect the consent signals of the page as it is now; a page that cannot be read gives cookies only."""
    elements: list[str] = []
    globals_found: list[str] = []
    try:
        result = page.evaluate(_PROBE, [list(CMP_SELECTORS), list(CMP_GLOBALS)])
        elements = list(result.get("elements", []))
        globals_found = list(result.get("globals", []))
    except PlaywrightError as error:
        log.info("could not look for a consent banner on %s: %s", page.url, error)
    try:
        cookies = [cookie["name"] for cookie in context.cookies()]
    except PlaywrightError as error:
        log.info("could not read the cookies: %s", error)
        cookies = []
    return ConsentSignals(elements=elements, globals=globals_found, cookies=cookies)
