"""The report's scope beyond Netcore: what a case found in each of the organisation's other
systems. Every active system needs an outcome before a report is generated; the report prints
them. Recording outcomes is audited."""

from django.db import transaction
from django.utils import timezone

from .audit import audit_append
from .models import (
    OUTCOMES_NEEDING_A_NOTE,
    AuditAction,
    Case,
    OtherSystem,
    SystemCheck,
    SystemOutcome,
)
from .services import CaseRuleError


@transaction.atomic
def case_record_other_systems(
    *, case: Case, actor, outcomes: dict[int, tuple[str, str]]
) -> list[SystemCheck]:
    """Record, per other system (by id), its outcome and note; changes only what differs."""
    systems = OtherSystem.objects.in_bulk(list(outcomes))
    unknown = set(outcomes) - set(systems)
    if unknown:
        raise CaseRuleError("Some of these systems no longer exist; reload the page.")
    existing = {c.system_id: c for c in case.system_checks.select_for_update()}
    changed, checks = {}, []
    for system_id, (outcome, note) in outcomes.items():
        note = note.strip()
        if outcome in OUTCOMES_NEEDING_A_NOTE and not note:
            raise CaseRuleError(
                f"{systems[system_id].name}: say how the data was provided or why it was "
                "not searched."
            )
        check = existing.get(system_id)
        if check and (check.outcome, check.note) == (outcome, note):
            checks.append(check)
            continue
        check = check or SystemCheck(case=case, system=systems[system_id])
        check.outcome, check.note = outcome, note
        check.recorded_by, check.recorded_at = actor, timezone.now()
        check.save()
        checks.append(check)
        changed[systems[system_id].name] = SystemOutcome(outcome).label
    if changed:
        audit_append(
            case=case, actor=actor, action=AuditAction.OTHER_SYSTEMS_RECORDED, details=changed
        )
    return checks
