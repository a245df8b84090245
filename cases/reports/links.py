"""The secure download link: its secret, the one-time codes that open it, throttles, and the
record of everything done at it.

Invariants:
- The link's secret is an HMAC (SECRET_KEY) of the delivery's request token; only its SHA-256 is
  stored, so the database alone cannot rebuild a link.
- A code has CODE_DIGITS digits, is made on a worker and emailed (only its keyed hash is stored),
  works for CODE_MINUTES, and is compared in constant time. The CODE_ATTEMPTS-th wrong code locks
  the link for good (it is revoked; the officer can send a new one).
- Code requests are throttled per link and per client address; wrong codes per address too. The
  address is kept only as a keyed hash, for these counts.
- Every code request, code sent, wrong code, view and download is a LinkAccess row and an entry in
  the case's audit trail.
- What the subject reads (messages, the code email) is in the case's language: the caller (the
  download pages) and `link_code_send` run inside `translation.override(case.language)`.
"""

import base64
import hashlib
import hmac
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cases.audit import audit_append
from cases.models import (
    AuditAction,
    Delivery,
    DeliveryChannel,
    LinkAccess,
    LinkAction,
    OrganisationProfile,
)

from . import mail

logger = logging.getLogger(__name__)

CODE_DIGITS = 8
CODE_MINUTES = 10
CODE_ATTEMPTS = 5  # wrong codes before the link locks
CODE_REQUESTS_PER_LINK_PER_HOUR = 5
CODE_REQUESTS_PER_ADDRESS_PER_HOUR = 10
WRONG_CODES_PER_ADDRESS_PER_HOUR = 10
CODE_SEND_ATTEMPTS = 3
# How long a correct code opens the files in that browser.
ACCESS_MINUTES = 30
LINK_SECRET = re.compile(r"^[A-Za-z0-9_-]{43}$")

AUDITED = {
    LinkAction.CODE_REQUESTED: AuditAction.LINK_CODE_REQUESTED,
    LinkAction.CODE_SENT: AuditAction.LINK_CODE_SENT,
    LinkAction.CODE_WRONG: AuditAction.LINK_CODE_WRONG,
    LinkAction.LOCKED: AuditAction.LINK_LOCKED,
    LinkAction.VIEWED: AuditAction.LINK_VIEWED,
    LinkAction.DOWNLOADED: AuditAction.LINK_DOWNLOADED,
}


class Subject(AnonymousUser):
    """The data subject, acting through their link (no account): named so in the audit trail."""

    username = "subject (download link)"


SUBJECT = Subject()


class LinkThrottled(Exception):
    """Too many requests for now; the message says when to try again."""


def link_secret(delivery: Delivery) -> str:
    """The secret in the link's URL (43 characters)."""
    digest = salted_hmac("delivery-link", delivery.request_token, algorithm="sha256").digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def link_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def link_url(delivery: Delivery) -> str:
    path = reverse("link:page", args=[link_secret(delivery)])
    return settings.PORTAL_BASE_URL.rstrip("/") + path


def usable_link(secret: str) -> Delivery | None:
    """The delivery behind `secret` if its link works now; None for a wrong, expired, revoked or
    locked link alike."""
    if not LINK_SECRET.match(secret):
        return None
    delivery = (
        Delivery.objects.select_related("case", "report")
        .filter(link_hash=link_hash(secret), channel=DeliveryChannel.LINK)
        .first()
    )
    if delivery is None or delivery.link_state() != "usable":
        return None
    return delivery


def address_hash(address: str) -> str:
    return salted_hmac("link-address", address or "unknown", algorithm="sha256").hexdigest()


def record(delivery: Delivery, action: str, *, address: str = "", detail: str = "") -> LinkAccess:
    """Record what happened at the link, on the delivery and in the case's audit trail."""
    with transaction.atomic():
        access = LinkAccess.objects.create(
            delivery=delivery, action=action, detail=detail, address_hash=address_hash(address)
        )
        audit_append(
            case=delivery.case,
            actor=SUBJECT if action != LinkAction.CODE_SENT else None,
            action=AUDITED[action],
            details={"delivery": delivery.pk, **({"detail": detail} if detail else {})},
        )
    return access


def _recent(queryset, action: str) -> int:
    since = timezone.now() - timedelta(hours=1)
    return queryset.filter(action=action, at__gte=since).count()


def code_request(*, delivery: Delivery, address: str) -> None:
    """Ask for a code to be emailed to the delivery's recipient (made and sent by a worker)."""
    hashed = address_hash(address)
    if (
        _recent(delivery.accesses, LinkAction.CODE_REQUESTED) >= CODE_REQUESTS_PER_LINK_PER_HOUR
        or _recent(LinkAccess.objects.filter(address_hash=hashed), LinkAction.CODE_REQUESTED)
        >= CODE_REQUESTS_PER_ADDRESS_PER_HOUR
    ):
        raise LinkThrottled(
            _(
                "Several codes have been asked for in the last hour. Please use the latest code "
                "you received, or try again in an hour."
            )
        )
    access = record(delivery, LinkAction.CODE_REQUESTED, address=address)
    transaction.on_commit(lambda: link_code_send_task.delay(delivery.pk, access.pk))


def _code_hash(delivery: Delivery, code: str) -> str:
    return salted_hmac("delivery-code", f"{delivery.pk}:{code}", algorithm="sha256").hexdigest()


def new_code() -> str:
    return "".join(secrets.choice("0123456789") for _ in range(CODE_DIGITS))


@dataclass(frozen=True)
class CodeResult:
    accepted: bool
    message: str


def code_check(*, delivery: Delivery, code: str, address: str) -> CodeResult:
    """Compare `code` with the delivery's current code; count and record a wrong one."""
    hashed = address_hash(address)
    if (
        _recent(LinkAccess.objects.filter(address_hash=hashed), LinkAction.CODE_WRONG)
        >= WRONG_CODES_PER_ADDRESS_PER_HOUR
    ):
        raise LinkThrottled(_("Too many wrong codes were entered from here. Try again in an hour."))
    code = re.sub(r"\s", "", code)
    with transaction.atomic():
        locked = Delivery.objects.select_for_update().select_related("case").get(pk=delivery.pk)
        if locked.link_state() != "usable":
            return CodeResult(False, "")
        current = (
            locked.code_hash
            and locked.code_expires_at is not None
            and locked.code_expires_at > timezone.now()
        )
        # Hashing the candidate and comparing digests takes the same time whatever it holds.
        if current and hmac.compare_digest(locked.code_hash, _code_hash(locked, code)):
            Delivery.objects.filter(pk=locked.pk).update(code_hash="", code_expires_at=None)
            return CodeResult(True, "")
        locked.wrong_codes += 1
        fields = {"wrong_codes": locked.wrong_codes}
        if locked.wrong_codes >= CODE_ATTEMPTS:
            fields.update(
                revoked_at=timezone.now(),
                revoke_reason=f"Locked after {CODE_ATTEMPTS} wrong codes.",
                code_hash="",
            )
        Delivery.objects.filter(pk=locked.pk).update(**fields)
        record(locked, LinkAction.CODE_WRONG, address=address)
        if locked.wrong_codes >= CODE_ATTEMPTS:
            record(locked, LinkAction.LOCKED, address=address)
            return CodeResult(
                False,
                _(
                    "That code is not right either. For your safety this link no longer works: "
                    "please contact us for a new one."
                ),
            )
    left = CODE_ATTEMPTS - locked.wrong_codes
    tries = ngettext("%(left)s attempt left.", "%(left)s attempts left.", left) % {"left": left}
    if not current:
        expired = _("That code has expired or was replaced by a newer one. Ask for a new code.")
        return CodeResult(False, f"{expired} {tries}")
    return CodeResult(False, _("That code is not right.") + f" {tries}")


def link_code_send(delivery_id: int, access_id: int) -> str:
    """Make a code for the latest request, store its hash and email it. Returns "sent",
    "skipped" (a newer request, or the link no longer works) or "retry"."""
    delivery = Delivery.objects.select_related("case").get(pk=delivery_id)
    latest = delivery.accesses.filter(action=LinkAction.CODE_REQUESTED).order_by("-id").first()
    if latest is None or latest.pk != access_id or delivery.link_state() != "usable":
        return "skipped"
    code = new_code()
    Delivery.objects.filter(pk=delivery.pk).update(
        code_hash=_code_hash(delivery, code),
        code_expires_at=timezone.now() + timedelta(minutes=CODE_MINUTES),
    )
    profile = OrganisationProfile.load()
    sender = mail.sender_of(profile)
    if sender.problem:
        logger.warning("link code for delivery %s not sent: %s", delivery.pk, sender.problem)
        return "skipped"
    with translation.override(delivery.case.language):
        message = mail.compose(
            sender=sender,
            to=delivery.recipient,
            subject=_("Your one-time code (%(reference)s)")
            % {"reference": delivery.case.reference},
            template="report/email/code",
            context={
                "case": delivery.case,
                "profile": profile,
                "code": code,
                "minutes": CODE_MINUTES,
            },
        )
    try:
        mail.send(message, before_handing_over=lambda: True)
    except mail.MailFailure as failure:
        logger.warning("link code for delivery %s not sent: %s", delivery.pk, failure.cause)
        return "retry" if failure.transient else "failed"
    record(delivery, LinkAction.CODE_SENT)
    return "sent"


@shared_task(
    name="cases.tasks.link_code_send_task",
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
    max_retries=CODE_SEND_ATTEMPTS - 1,
)
def link_code_send_task(self, delivery_id: int, access_id: int) -> None:
    # A retry makes a new code (the last one is never kept): the subject gets one that works.
    if link_code_send(delivery_id, access_id) == "retry" and self.request.retries < (
        CODE_SEND_ATTEMPTS - 1
    ):
        raise self.retry(countdown=settings.REPORT_SEND_BACKOFF_SECONDS * 2**self.request.retries)


def access_granted(session, delivery: Delivery) -> bool:
    """True while this browser may download the delivery's files (a correct code lately)."""
    until = session.get(f"link-access-{delivery.pk}")
    return until is not None and until > timezone.now().timestamp()


def grant_access(session, delivery: Delivery) -> None:
    session.cycle_key()  # a new session id once a code is accepted (no fixation)
    until = timezone.now() + timedelta(minutes=ACCESS_MINUTES)
    session[f"link-access-{delivery.pk}"] = until.timestamp()
