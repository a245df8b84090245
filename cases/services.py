"""Everything that changes a case goes through here, and each change writes one audit entry."""

from datetime import date

from django.db import transaction
from django.utils import timezone

from .access import is_admin, ownership_locked
from .audit import audit_append
from .deadlines import days_stopped, due_date_for, extended_due_date_for
from .models import AuditAction, Case, CaseNote, OrganisationProfile, ReferenceCounter
from .regimes import REGIMES
from .workflow import ANSWERED, FINISHED, NEEDS_REASON, CaseStatus, check_transition

# Fields an officer may edit after intake; changes are audited with old and new values.
EDITABLE_FIELDS = (
    "subject_name",
    "subject_email",
    "primary_keys",
    "channels",
    "search_from",
    "search_to",
    "received_on",
    "regime",
    "language",
    "assigned_officer",
    "restricted",
    "subject_timezone",
)
# Fields that may change at any time: who works the case, who sees it, how its report shows time
# and in which language the subject reads it.
ALWAYS_EDITABLE = frozenset({"assigned_officer", "restricted", "subject_timezone", "language"})
# Once collection starts, what was searched for must stay what the data was collected for.
EDITABLE_STATUSES = frozenset({CaseStatus.RECEIVED, CaseStatus.IDENTITY_VERIFIED})
# What an identity verification vouches for: changing any of them undoes the verification.
VERIFIED_FIELDS = ("subject_name", "subject_email", "primary_keys")


class CaseRuleError(Exception):
    """A request that the rules for cases do not allow; nothing was changed."""


def next_reference(year: int) -> str:
    """Take the next number of `year`; call inside the transaction that creates the case."""
    ReferenceCounter.objects.bulk_create([ReferenceCounter(year=year)], ignore_conflicts=True)
    counter = ReferenceCounter.objects.select_for_update().get(year=year)
    counter.last_number += 1
    counter.save(update_fields=["last_number"])
    return f"DSAR-{year}-{counter.last_number:04d}"


def _lock_and_refresh(case: Case) -> None:
    """Lock the case row for this transaction and read it afresh, so a stale copy in hand never
    writes back an old status or audit length."""
    Case.objects.select_for_update().filter(pk=case.pk).values_list("pk", flat=True).first()
    case.refresh_from_db()


def _deadline(case: Case) -> date:
    """The case's due date from its regime, receipt, extension and the days its clock stopped:
    the one formula every change to those goes through."""
    if case.is_extended:
        return extended_due_date_for(
            case.received_on, case.regime, days_not_counted=case.days_not_counted
        )
    published = (
        OrganisationProfile.current().dpdp_response_days
        if case.regime_rules.published_period
        else None
    )
    return due_date_for(
        case.received_on,
        case.regime,
        days_not_counted=case.days_not_counted,
        response_days=published,
    )


def _audit_value(value):
    if hasattr(value, "get_username"):
        return value.get_username()
    return value


@transaction.atomic
def case_create(
    *,
    actor,
    subject_name: str,
    subject_email: str,
    primary_keys: list[str],
    channels: list[str],
    search_from: date,
    search_to: date,
    received_on: date,
    regime: str | None = None,
    language: str | None = None,
    assigned_officer=None,
    restricted: bool = False,
    subject_timezone: str = "",
) -> Case:
    """Log a new request (already validated by CaseForm) with its legal deadline, under
    `regime`, or the organisation profile's default regime when none is given; answered in
    `language`, or the profile's default language."""
    profile = OrganisationProfile.current()
    case = Case(
        reference=next_reference(timezone.localdate().year),
        subject_name=subject_name,
        subject_email=subject_email,
        primary_keys=primary_keys,
        channels=channels,
        search_from=search_from,
        search_to=search_to,
        received_on=received_on,
        regime=regime or profile.default_regime,
        language=language or profile.default_language,
        assigned_officer=assigned_officer,
        restricted=restricted,
        subject_timezone=subject_timezone,
    )
    case.due_date = _deadline(case)
    case.save(force_insert=True)
    audit_append(
        case=case,
        actor=actor,
        action=AuditAction.CREATED,
        details={
            "received_on": received_on,
            "regime": case.regime,
            "language": case.language,
            "due_date": case.due_date,
            # To whom the report goes: the trail must be able to say so (verify_audit).
            "subject_email": subject_email,
            "channels": channels,
            "search_from": search_from,
            "search_to": search_to,
            "primary_key_count": len(primary_keys),
            "assigned_officer": _audit_value(assigned_officer),
            "restricted": restricted,
        },
    )
    return case


@transaction.atomic
def case_update(*, case: Case, actor, **changes) -> Case:
    """Change intake fields (validated by CaseForm); records old and new values of each change.

    Changing the subject's name, email or primary keys after identity verification undoes the
    verification (audited): it must be done again before a report can be sent.
    """
    _lock_and_refresh(case)
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise CaseRuleError(f"These fields cannot be edited: {', '.join(sorted(unknown))}.")
    old = {name: getattr(case, name) for name in changes}
    diff = {
        name: {"old": _audit_value(old[name]), "new": _audit_value(value)}
        for name, value in changes.items()
        if old[name] != value
    }
    if not diff:
        return case
    if set(diff) & ownership_locked(actor, case):
        raise CaseRuleError(
            "Only the assigned officer or an administrator can reassign, restrict or unrestrict "
            "this case."
        )
    if set(diff) - ALWAYS_EDITABLE and case.status not in EDITABLE_STATUSES:
        raise CaseRuleError(
            "Collection has started: only the assigned officer and the restriction can change now. "
            "Log a new request for a different search."
        )
    if "regime" in diff and (case.is_extended or case.days_not_counted):
        raise CaseRuleError(
            f"The deadline was extended or its clock stopped under "
            f"{REGIMES[case.regime].label}; the regime can no longer change."
        )
    old_due_date = case.due_date
    for name, value in changes.items():
        setattr(case, name, value)
    if {"received_on", "regime"} & set(diff):
        case.due_date = _deadline(case)
        if case.due_date != old_due_date:
            diff["due_date"] = {"old": old_due_date, "new": case.due_date}
    unverified = sorted(set(diff) & set(VERIFIED_FIELDS)) if case.is_verified else []
    old_status = case.status
    undone = _clear_verification(case) if unverified else ()
    case.save(update_fields=[*changes, "due_date", "updated_at", *undone])
    audit_append(case=case, actor=actor, action=AuditAction.UPDATED, details={"changes": diff})
    if unverified:
        audit_append(
            case=case,
            actor=actor,
            action=AuditAction.VERIFICATION_CLEARED,
            details={"changed": unverified, "from": old_status, "to": case.status},
        )
    return case


def _clear_verification(case: Case) -> tuple[str, ...]:
    """Undo the identity verification (it vouched for a subject the case no longer names);
    return the fields changed."""
    case.verification_method = ""
    case.verification_notes = ""
    case.verified_by = None
    case.verified_at = None
    if case.status == CaseStatus.IDENTITY_VERIFIED:
        check_transition(case.status, CaseStatus.RECEIVED)
        case.status = CaseStatus.RECEIVED
    return ("verification_method", "verification_notes", "verified_by", "verified_at", "status")


@transaction.atomic
def case_verify_identity(*, case: Case, actor, method: str, notes: str = "") -> Case:
    """Record how the subject's identity was checked (never a copy of a document)."""
    _lock_and_refresh(case)
    if case.is_finished:
        raise CaseRuleError("This case is finished; its identity record can no longer change.")
    case.verification_method = method
    case.verification_notes = notes
    case.verified_by = actor
    case.verified_at = timezone.now()
    if case.status == CaseStatus.RECEIVED:
        check_transition(case.status, CaseStatus.IDENTITY_VERIFIED)
        case.status = CaseStatus.IDENTITY_VERIFIED
    case.save(
        update_fields=[
            "verification_method",
            "verification_notes",
            "verified_by",
            "verified_at",
            "status",
            "updated_at",
        ]
    )
    audit_append(
        case=case,
        actor=actor,
        action=AuditAction.IDENTITY_VERIFIED,
        details={"method": method, "notes": notes, "verified_at": case.verified_at},
    )
    return case


@transaction.atomic
def case_extend_deadline(*, case: Case, actor, reason: str, subject_told_on: date) -> Case:
    """Extend the deadline once, as the case's regime allows (GDPR Art. 12(3): by two further
    months; CCPA: by 45 days), before the first deadline passes, with the reason, the subject
    told within the first period."""
    _lock_and_refresh(case)
    today = timezone.localdate()
    rules = case.regime_rules
    if not rules.extension:
        raise CaseRuleError(f"{rules.label} provides no extension of the deadline.")
    if case.is_extended:
        raise CaseRuleError("This case has already been extended; the law allows one extension.")
    if case.is_finished:
        raise CaseRuleError("This case is finished; there is no deadline to extend.")
    if case.clock_paused_on:
        raise CaseRuleError(
            "The clock is stopped for a clarification; restart it when the answer arrives, "
            "then extend."
        )
    if today > case.original_due_date:
        raise CaseRuleError(
            f"The deadline of {case.original_due_date:%d %b %Y} has passed; "
            f"an extension must be made within the {rules.response.first}."
        )
    if not reason.strip():
        raise CaseRuleError("Give the reason for the extension.")
    if subject_told_on > today:
        raise CaseRuleError("The date the subject was told cannot be in the future.")
    if not case.received_on <= subject_told_on <= case.original_due_date:
        raise CaseRuleError(
            f"The subject must be told within the {rules.response.first} after receipt."
        )
    old_due = case.due_date
    case.extended_on = today
    case.extension_reason = reason.strip()
    case.subject_told_of_extension_on = subject_told_on
    case.due_date = _deadline(case)
    case.save(
        update_fields=[
            "extended_on",
            "extension_reason",
            "subject_told_of_extension_on",
            "due_date",
            "updated_at",
        ]
    )
    audit_append(
        case=case,
        actor=actor,
        action=AuditAction.EXTENDED,
        details={
            "old_due_date": old_due,
            "new_due_date": case.due_date,
            "extended_on": case.extended_on,
            "reason": case.extension_reason,
            "subject_told_on": subject_told_on,
        },
    )
    return case


@transaction.atomic
def case_pause_clock(*, case: Case, actor, asked_on: date, question: str) -> Case:
    """Stop the clock from the day the subject was asked which information or processing the
    request is about (UK GDPR Art. 12A(5)): that day never counts, so the due date moves by one
    now and by the rest of the wait when the clock restarts."""
    _lock_and_refresh(case)
    rules = case.regime_rules
    if not rules.clock_stops:
        raise CaseRuleError(
            f"The clock cannot be stopped under {rules.label}: the law gives no such pause."
        )
    if case.is_finished:
        raise CaseRuleError("This case is finished; there is no deadline to stop.")
    if case.clock_paused_on:
        raise CaseRuleError(
            f"The clock has been stopped since {case.clock_paused_on:%d %b %Y}; restart it "
            "when the answer arrives."
        )
    if not question.strip():
        raise CaseRuleError("Say what the subject was asked to clarify.")
    if asked_on > timezone.localdate():
        raise CaseRuleError("The day the clarification was asked for cannot be in the future.")
    if asked_on < case.received_on:
        raise CaseRuleError("The clarification cannot have been asked for before receipt.")
    if case.clock_resumed_on and asked_on <= case.clock_resumed_on:
        raise CaseRuleError(
            f"The clock last restarted on {case.clock_resumed_on:%d %b %Y}; a new "
            "clarification must be asked for after that day."
        )
    if asked_on > case.due_date:
        raise CaseRuleError(
            f"The deadline of {case.due_date:%d %b %Y} had passed by then; the clock stops only "
            "while it runs."
        )
    old_due = case.due_date
    case.clock_paused_on = asked_on
    case.due_date = _deadline(case)
    case.save(update_fields=["clock_paused_on", "due_date", "updated_at"])
    audit_append(
        case=case,
        actor=actor,
        action=AuditAction.CLOCK_PAUSED,
        details={
            "asked_on": asked_on,
            "question": question.strip(),
            "old_due_date": old_due,
            "new_due_date": case.due_date,
        },
    )
    return case


@transaction.atomic
def case_resume_clock(*, case: Case, actor, answered_on: date) -> Case:
    """Restart the clock on the day the clarification arrived: the days from asking to the answer,
    both included, do not count (UK GDPR Art. 12A(5)(b)), and the due date moves by them."""
    _lock_and_refresh(case)
    if not case.clock_paused_on:
        raise CaseRuleError("The clock is running; there is nothing to restart.")
    if answered_on > timezone.localdate():
        raise CaseRuleError("The day the answer arrived cannot be in the future.")
    if answered_on < case.clock_paused_on:
        raise CaseRuleError(
            f"The answer cannot have arrived before the clarification was asked for "
            f"({case.clock_paused_on:%d %b %Y})."
        )
    old_due = case.due_date
    asked_on = case.clock_paused_on
    stopped = days_stopped(asked_on, answered_on)
    case.clock_paused_days += stopped
    case.clock_paused_on = None
    case.clock_resumed_on = answered_on
    case.due_date = _deadline(case)
    case.save(
        update_fields=[
            "clock_paused_days",
            "clock_paused_on",
            "clock_resumed_on",
            "due_date",
            "updated_at",
        ]
    )
    audit_append(
        case=case,
        actor=actor,
        action=AuditAction.CLOCK_RESUMED,
        details={
            "asked_on": asked_on,
            "answered_on": answered_on,
            "days_not_counted": stopped,
            "old_due_date": old_due,
            "new_due_date": case.due_date,
        },
    )
    return case


@transaction.atomic
def case_change_status(*, case: Case, actor, status: str, reason: str = "", **details) -> Case:
    """Move the case to `status` if the workflow allows it; raise TransitionNotAllowed if not."""
    locked = Case.objects.select_for_update().get(pk=case.pk)
    if locked.anonymised_at:
        raise CaseRuleError("This case was anonymised by retention; it can no longer change.")
    check_transition(locked.status, status)
    if status in NEEDS_REASON and not reason.strip():
        raise CaseRuleError(f"Give the reason the case is {CaseStatus(status).label.lower()}.")
    old = locked.status
    entry = audit_append(
        case=case,
        actor=actor,
        action=AuditAction.STATUS_CHANGED,
        details={
            "from": old,
            "to": status,
            **({"reason": reason.strip()} if reason else {}),
            **details,
        },
    )
    # The stored facts carry the trail's own time for the change.
    facts = {"finished_at": entry.created_at if status in FINISHED else None}
    if status in ANSWERED and locked.answered_at is None:
        facts["answered_at"] = entry.created_at
    Case.objects.filter(pk=case.pk).update(
        status=status, status_reason=reason.strip(), updated_at=entry.created_at, **facts
    )
    case.status, case.status_reason = status, reason.strip()
    for name, value in facts.items():
        setattr(case, name, value)
    return case


@transaction.atomic
def case_add_note(*, case: Case, actor, text: str) -> CaseNote:
    if not text.strip():
        raise CaseRuleError("A note cannot be empty.")
    note = CaseNote.objects.create(case=case, author=actor, text=text.strip())
    audit_append(case=case, actor=actor, action=AuditAction.NOTE_ADDED, details={"text": note.text})
    return note


@transaction.atomic
def case_place_legal_hold(*, case: Case, actor, reason: str) -> Case:
    """Keep the case whole (admins only): retention neither deletes its data nor anonymises it
    while the hold lasts."""
    if not is_admin(actor):
        raise CaseRuleError("Only an administrator can place a legal hold.")
    if not reason.strip():
        raise CaseRuleError("Give the reason for the legal hold.")
    _lock_and_refresh(case)
    if case.on_legal_hold:
        raise CaseRuleError(
            f"The case has been on legal hold since {case.legal_hold_since:%d %b %Y}."
        )
    if case.anonymised_at:
        raise CaseRuleError("The case was anonymised: there is nothing left to hold.")
    entry = audit_append(
        case=case,
        actor=actor,
        action=AuditAction.LEGAL_HOLD_PLACED,
        details={"reason": reason.strip()},
    )
    case.legal_hold_since, case.legal_hold_reason, case.legal_hold_by = (
        entry.created_at,
        reason.strip(),
        actor,
    )
    case.save(update_fields=["legal_hold_since", "legal_hold_reason", "legal_hold_by"])
    return case


@transaction.atomic
def case_lift_legal_hold(*, case: Case, actor, reason: str) -> Case:
    """End the legal hold (admins only); retention applies again from the next run."""
    if not is_admin(actor):
        raise CaseRuleError("Only an administrator can lift a legal hold.")
    if not reason.strip():
        raise CaseRuleError("Give the reason for lifting the legal hold.")
    _lock_and_refresh(case)
    if not case.on_legal_hold:
        raise CaseRuleError("The case is not on legal hold.")
    audit_append(
        case=case,
        actor=actor,
        action=AuditAction.LEGAL_HOLD_LIFTED,
        details={"reason": reason.strip(), "held_since": case.legal_hold_since},
    )
    case.legal_hold_since, case.legal_hold_reason, case.legal_hold_by = None, "", None
    case.save(update_fields=["legal_hold_since", "legal_hold_reason", "legal_hold_by"])
    return case
