"""Everything that changes a case goes through here, and each change writes one audit entry."""

from datetime import date

from django.db import transaction
from django.utils import timezone

from .audit import audit_append
from .deadlines import due_date_for, extended_due_date_for
from .models import AuditAction, Case, CaseNote, ReferenceCounter
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
    "assigned_officer",
    "restricted",
    "subject_timezone",
)
# Fields that may change at any time: who works the case, who sees it, how its report shows time.
ALWAYS_EDITABLE = frozenset({"assigned_officer", "restricted", "subject_timezone"})
# Once collection starts, what was searched for must stay what the data was collected for.
EDITABLE_STATUSES = frozenset({CaseStatus.RECEIVED, CaseStatus.IDENTITY_VERIFIED})


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
    assigned_officer=None,
    restricted: bool = False,
    subject_timezone: str = "",
) -> Case:
    """Log a new request (already validated by CaseForm) with its legal deadline."""
    case = Case.objects.create(
        reference=next_reference(timezone.localdate().year),
        subject_name=subject_name,
        subject_email=subject_email,
        primary_keys=primary_keys,
        channels=channels,
        search_from=search_from,
        search_to=search_to,
        received_on=received_on,
        due_date=due_date_for(received_on),
        assigned_officer=assigned_officer,
        restricted=restricted,
        subject_timezone=subject_timezone,
    )
    audit_append(
        case=case,
        actor=actor,
        action=AuditAction.CREATED,
        details={
            "received_on": received_on,
            "due_date": case.due_date,
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
    """Change intake fields (validated by CaseForm); records old and new values of each change."""
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
    if set(diff) - ALWAYS_EDITABLE and case.status not in EDITABLE_STATUSES:
        raise CaseRuleError(
            "Collection has started: only the assigned officer and the restriction can change now. "
            "Log a new request for a different search."
        )
    old_due_date = case.due_date
    for name, value in changes.items():
        setattr(case, name, value)
    if "received_on" in diff:
        case.due_date = (
            extended_due_date_for(case.received_on)
            if case.is_extended
            else due_date_for(case.received_on)
        )
        diff["due_date"] = {"old": old_due_date, "new": case.due_date}
    case.save(update_fields=[*changes, "due_date", "updated_at"])
    audit_append(case=case, actor=actor, action=AuditAction.UPDATED, details={"changes": diff})
    return case


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
        details={"method": method, "notes": notes},
    )
    return case


@transaction.atomic
def case_extend_deadline(*, case: Case, actor, reason: str, subject_told_on: date) -> Case:
    """Extend by two further months (Art. 12(3)): once, before the first deadline passes."""
    _lock_and_refresh(case)
    today = timezone.localdate()
    if case.is_extended:
        raise CaseRuleError("This case has already been extended; the law allows one extension.")
    if case.is_finished:
        raise CaseRuleError("This case is finished; there is no deadline to extend.")
    if today > case.original_due_date:
        raise CaseRuleError(
            f"The deadline of {case.original_due_date:%d %b %Y} has passed; "
            "an extension must be made within the first month."
        )
    if not reason.strip():
        raise CaseRuleError("Give the reason for the extension.")
    if subject_told_on > today:
        raise CaseRuleError("The date the subject was told cannot be in the future.")
    if not case.received_on <= subject_told_on <= case.original_due_date:
        raise CaseRuleError("The subject must be told within the first month after receipt.")
    old_due = case.due_date
    case.extended_on = today
    case.extension_reason = reason.strip()
    case.subject_told_of_extension_on = subject_told_on
    case.due_date = extended_due_date_for(case.received_on)
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
            "reason": case.extension_reason,
            "subject_told_on": subject_told_on,
        },
    )
    return case


@transaction.atomic
def case_change_status(*, case: Case, actor, status: str, reason: str = "", **details) -> Case:
    """Move the case to `status` if the workflow allows it; raise TransitionNotAllowed if not."""
    locked = Case.objects.select_for_update().get(pk=case.pk)
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
