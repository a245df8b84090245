"""Anchoring the audit trail outside the database.

`audit_anchor` takes the global ledger's head (when, how many links, the last link's hash) and
writes it to the configured sinks: a line appended to AUDIT_ANCHOR_FILE (on storage the database's
owners cannot rewrite) and/or an email to AUDIT_ANCHOR_EMAIL (the DPO). Beat runs it daily at
AUDIT_ANCHOR_HOUR. `verify_audit --anchor FILE` checks that the ledger still extends every head in
FILE: the link with that number still has that hash.

What it catches: any change made before an anchor was taken to any case's entries, to a case's
existence or to the ledger, however consistently everything was re-hashed afterwards. What it
cannot: whoever owns the database rewriting what was written since the last anchor, or
controlling the sinks too.
"""

import json
import logging
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone

from cases.audit import ledger_hash_at
from cases.models import GENESIS_HASH, LedgerHead

logger = logging.getLogger(__name__)


class AnchorError(Exception):
    """The anchor could not be written, or an anchor file cannot be read; the cause is given."""


@dataclass(frozen=True)
class Anchor:
    """The ledger's head at a moment: `count` links, the last of them hashing to `hash`."""

    anchored_at: datetime
    count: int
    hash: str

    def line(self) -> str:
        return json.dumps(
            {"anchored_at": self.anchored_at.isoformat(), "count": self.count, "hash": self.hash},
            sort_keys=True,
        )

    @classmethod
    def from_line(cls, text: str) -> "Anchor":
        """Read back a line written by `line()` (also when copied from the email)."""
        try:
            data = json.loads(text)
            anchor = cls(datetime.fromisoformat(data["anchored_at"]), data["count"], data["hash"])
        except (ValueError, KeyError, TypeError) as exc:
            raise AnchorError(f"not an anchor ({exc})") from None
        if not isinstance(anchor.count, int) or anchor.count < 0 or len(str(anchor.hash)) != 64:
            raise AnchorError("not an anchor (count or hash malformed)")
        return anchor


def current_anchor() -> Anchor:
    head = LedgerHead.objects.filter(pk=1).first()
    if head is None:
        return Anchor(timezone.now(), 0, GENESIS_HASH)
    return Anchor(timezone.now(), head.length, head.hash)


def _append_to_file(anchor: Anchor, path: Path) -> None:
    # Appended and synced, never rewritten: earlier anchors stay as they were written.
    with open(path, "a", encoding="utf-8") as file:
        file.write(anchor.line() + "\n")
        file.flush()
        os.fsync(file.fileno())


def _email(anchor: Anchor, recipients: list[str]) -> None:
    send_mail(
        subject=f"DSAR portal audit anchor {anchor.anchored_at:%Y-%m-%d}: {anchor.count} entries",
        message=(
            "The head of the DSAR portal's audit ledger, to be kept outside the portal:\n\n"
            f"{anchor.line()}\n\n"
            "Keep these emails (or the line above, one per day, in a file). "
            "`python manage.py verify_audit --anchor FILE` checks that the audit trail still "
            "extends every head in FILE: a trail rewritten before this moment will not.\n"
        ),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=recipients,
    )


def audit_anchor() -> tuple[Anchor, list[str]]:
    """Write the ledger's head to every configured sink; return it and where it went.

    Raises AnchorError when no sink is configured, or when one failed (after trying them all).
    """
    path, recipients = settings.AUDIT_ANCHOR_FILE, settings.AUDIT_ANCHOR_EMAIL
    if not path and not recipients:
        raise AnchorError("No sink: set AUDIT_ANCHOR_FILE and/or AUDIT_ANCHOR_EMAIL.")
    anchor = current_anchor()
    written, failures = [], []
    if path:
        try:
            _append_to_file(anchor, Path(path))
            written.append(str(path))
        except OSError as exc:
            failures.append(f"{path}: {exc}")
    if recipients:
        try:
            _email(anchor, recipients)
            written.append(f"email to {len(recipients)} recipient(s)")
        except OSError as exc:  # smtplib's errors are OSErrors
            failures.append(f"email: {type(exc).__name__}: {exc}")
    if failures:
        raise AnchorError("; ".join(failures))
    return anchor, written


def read_anchors(path: Path) -> list[Anchor]:
    """The anchors in a file, one per line (blank lines and # comments skipped)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise AnchorError(f"{path}: {exc}") from None
    anchors = []
    for number, text in enumerate(lines, start=1):
        text = text.strip()
        if not text or text.startswith("#"):
            continue
        try:
            anchors.append(Anchor.from_line(text))
        except AnchorError as exc:
            raise AnchorError(f"{path}, line {number}: {exc}") from None
    return anchors


def anchor_problems(anchors: list[Anchor]) -> list[str]:
    """How the ledger fails to extend the anchored heads (empty when it extends them all)."""
    problems = []
    for anchor in anchors:
        found = ledger_hash_at(anchor.count)
        when = f"{anchor.anchored_at:%Y-%m-%d %H:%M} ({anchor.count} entries)"
        if found is None:
            problems.append(f"anchor of {when}: the ledger no longer has that many links")
        elif found != anchor.hash:
            problems.append(f"anchor of {when}: the ledger no longer extends that head")
    return problems


@shared_task(name="cases.tasks.audit_anchor_task", ignore_result=True)
def audit_anchor_task() -> int | None:
    try:
        anchor, written = audit_anchor()
    except AnchorError as exc:
        logger.error("audit anchor not written: %s", exc)
        return None
    logger.info("audit anchor: %d entries, written to %s", anchor.count, ", ".join(written))
    return anchor.count
