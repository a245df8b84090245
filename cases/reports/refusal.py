"""The answer owed to a subject whose request is refused (GDPR and UK GDPR Art. 12(4), and each
regime's equivalent): why, and where they can turn. The officer sends it as a PDF letter through
the same delivery as reports (a download link: the code goes to the address that asked), or
records that it was given another way.

Invariants:
- The letter is made from what is recorded: the reason the officer gave when rejecting
  (`Case.status_reason`), the regime's authority, remedy and legal basis
  (`Regime.answer.refusal_wording` in cases/regimes.py), the organisation's contact, in the
  case's language. The letter that is sent is kept with its SHA-256.
- One letter delivery at a time per case, exactly once (delivery.py's claims); a resubmitted
  form finds the delivery it made.
"""

import hashlib
import secrets
import tempfile
from pathlib import Path

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from cases.audit import audit_append
from cases.models import (
    AuditAction,
    Case,
    Delivery,
    DeliveryChannel,
    DocumentKind,
    OrganisationProfile,
    RefusalLetter,
)
from cases.regimes import REGIMES
from cases.services import CaseRuleError
from cases.steps import refusal_letter_live
from cases.workflow import CaseStatus

from . import links
from .delivery import DeliveryRefused, delivery_send_task
from .joining import join_parts
from .rendering import Part, PartRenderer

STYLESHEETS = ["report/case_file.css"]


def letter_html(case: Case, *, profile: OrganisationProfile | None = None) -> str:
    """The letter's HTML in the case's language."""
    profile = profile or OrganisationProfile.current()
    regime = REGIMES[case.regime]
    with translation.override(case.language):
        return render_to_string(
            "report/refusal_letter.html",
            {
                "case": case,
                "regime": regime,
                "profile": profile.in_language(case.language),
                "reason": case.status_reason,
                "wording": regime.answer.refusal_wording,
                "today": timezone.localdate(),
                "language": case.language,
            },
        )


def letter_pdf(case: Case) -> bytes:
    """The letter as a tagged PDF (the report's renderer: no network, our fonts only)."""
    profile = OrganisationProfile.current()
    html = letter_html(case, profile=profile)
    with tempfile.TemporaryDirectory(prefix="letter-") as tmp:
        out = Path(tmp) / "letter.pdf"
        with (
            PartRenderer(stylesheets=STYLESHEETS, processes=1) as renderer,
            translation.override(case.language),  # the footer's words
        ):
            part = renderer.submit(Part(html, pdfa=True)).result()
            join_parts(
                [part],
                footer_label=case.reference,
                out_path=str(out),
                title=f"{case.reference}: our answer to your request",
                author=profile.controller_name,
                moment=timezone.now(),
            )
        return out.read_bytes()


def refusal_problem(case: Case) -> str | None:
    """Why the refusal letter may not be sent now, or None."""
    if case.status != CaseStatus.REJECTED:
        return "The letter is sent once the request is rejected."
    if not case.status_reason.strip():
        return "The rejection has no reason recorded: the letter must say why."
    if refusal_letter_live(case):
        return "The refusal letter has already been sent (or is being sent)."
    return None


def refusal_send_request(*, case: Case, actor, request_token: str) -> tuple[Delivery, bool]:
    """Make the letter, keep it, and queue its sending by download link; return the delivery
    and whether it is new (False: this form was sent before). Raises DeliveryRefused."""
    existing = Delivery.objects.filter(request_token=request_token).first()
    if existing is not None:
        return existing, False
    problem = refusal_problem(case)
    if problem:  # before rendering; checked again under the lock
        raise DeliveryRefused(problem)
    data = letter_pdf(case)  # outside the lock: rendering takes a moment
    try:
        with transaction.atomic():
            locked = Case.objects.select_for_update().get(pk=case.pk)
            existing = Delivery.objects.filter(request_token=request_token).first()
            if existing is not None:
                return existing, False
            problem = refusal_problem(locked)
            if problem:
                raise DeliveryRefused(problem)
            letter = RefusalLetter(
                case=locked,
                sha256=hashlib.sha256(data).hexdigest(),
                size=len(data),
                language=locked.language,
                made_by=actor,
            )
            letter.file.save(f"{locked.reference}-refusal-letter.pdf", ContentFile(data), False)
            letter.save()
            delivery = Delivery(
                case=locked,
                document=DocumentKind.REFUSAL,
                letter=letter,
                channel=DeliveryChannel.LINK,
                recipient=locked.subject_email,
                request_token=request_token,
                sent_by=actor,
            )
            delivery.link_hash = links.link_hash(links.link_secret(delivery))
            delivery.save()
            audit_append(
                case=locked,
                actor=actor,
                action=AuditAction.REFUSAL_SEND_REQUESTED,
                details={
                    "delivery": delivery.pk,
                    "recipient": delivery.recipient,
                    "channel": delivery.channel,
                    "sha256": letter.sha256,
                },
            )
            transaction.on_commit(lambda: delivery_send_task.delay(delivery.pk, None))
    except IntegrityError:
        existing = Delivery.objects.filter(request_token=request_token).first()
        if existing is not None:
            return existing, False
        raise DeliveryRefused("The letter has just been sent by someone else.") from None
    return delivery, True


def refusal_record_given(*, case: Case, actor, via: str, given_on, note: str = "") -> None:
    """Record that the subject was told of the refusal another way (audited)."""
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        if locked.status != CaseStatus.REJECTED:
            raise CaseRuleError("Only a rejected request's refusal can be recorded.")
        audit_append(
            case=locked,
            actor=actor,
            action=AuditAction.REFUSAL_GIVEN,
            details={"via": via, "given_on": given_on.isoformat(), "note": note.strip()},
        )


def refusal_state(case: Case) -> dict:
    """What the refusal card of a rejected case shows: the letter's delivery, if any, and the
    records of the refusal given another way."""
    return {
        "deliveries": list(
            case.deliveries.filter(document=DocumentKind.REFUSAL).order_by("-created_at")
        ),
        "given": list(
            case.audit_entries.filter(action=AuditAction.REFUSAL_GIVEN).order_by("-sequence")
        ),
        "problem": refusal_problem(case),
        "token": secrets.token_urlsafe(32),
    }
