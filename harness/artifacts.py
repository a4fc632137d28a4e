"""Replace email addresses in kept artifacts (HAR, Playwright trace) by their hash.

A HAR and a trace hold what the page sent, Segment identify calls included,
so both are scrubbed before a check keeps them. Text is scrubbed with the
same masking the reports use. Binary members of a trace (screenshots) are
copied unchanged.
"""

from __future__ import annotations

import json
import logging
import zipfile
from pathlib import Path

from harness.capture.records import mask_emails

log = logging.getLogger(__name__)


def scrub_har(path: Path) -> None:
    """Rewrite a HAR file with every email address in it replaced by its hash."""
    document = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(json.dumps(mask_emails(document), ensure_ascii=False), encoding="utf-8", errors="backslashreplace")


def scrub_trace(path: Path) -> None:
    """Rewrite a Playwright trace zip with email addresses in its text members replaced by their hash."""
    scrubbed = path.with_suffix(".scrubbing")
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(scrubbed, "w", zipfile.ZIP_DEFLATED) as target:
        for member in source.infolist():
            data = source.read(member)
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                target.writestr(member, data)
                continue
            target.writestr(member, mask_emails(text).encode("utf-8"))
    scrubbed.replace(path)


def scrub_artifacts(paths: list[Path]) -> None:
    """Scrub each kept HAR and trace; a file that cannot be scrubbed is deleted rather than kept with emails."""
    for path in paths:
        try:
            if path.suffix == ".har":
                scrub_har(path)
            elif path.suffix == ".zip":
                scrub_trace(path)
        except (OSError, ValueError, zipfile.BadZipFile) as error:
            log.warning("deleted %s: could not replace the email addresses in it (%s)", path, error)
            path.unlink(missing_ok=True)
