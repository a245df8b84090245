"""Who may see and do what: the roles, and the one place every case view asks.

- Privacy officers (group "Privacy officers", permission `cases.work_case`) work cases and
  download reports and exports.
- Auditors (group "Auditors": view permissions and `cases.audit_case`; the DPO's role) read every
  case, restricted ones included, with their events and audit trails; they change nothing and
  download no report or export (only case files, below), and each showing of a case is in its
  audit trail like anyone's.
- Admins (superusers) use the Django admin and see every case.
- The case file (the record of a case's handling, for a supervisory authority) is for officers
  and auditors (and admins), of the cases they may see.

A case marked `restricted` is seen only by its assigned officer, auditors and admins, and worked
only by its officer and admins. For everyone else it does not exist: every URL under it answers 404
(so references cannot be enumerated) and it is left out of lists, counts and search. Restricting,
unrestricting or reassigning a case is for admins and its current officer.
"""

from django.contrib.auth.decorators import permission_required
from django.db.models import Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from .audit import audit_append
from .models import AuditAction, Case

OFFICERS_GROUP = "Privacy officers"
AUDITORS_GROUP = "Auditors"

# View decorators: the permission a view needs. Case-level visibility is checked by loading the
# case through `case_or_404` (or `visible_cases`).
can_view = permission_required("cases.view_case", raise_exception=True)
can_work = permission_required("cases.work_case", raise_exception=True)
# A report or export holds the subject's data in a file that leaves the portal: officers only.
can_download = permission_required("cases.work_case", raise_exception=True)


def is_admin(user) -> bool:
    """Admins see every case, restricted or not."""
    return bool(user.is_active and user.is_superuser)


def is_auditor(user) -> bool:
    """Auditors read every case, restricted or not (accountability needs it): the permission
    `cases.audit_case`, which the Auditors group has."""
    return user.has_perm("cases.audit_case")


def may_take_case_file(user) -> bool:
    """Officers and auditors take case files (admins too); the case must be visible to them."""
    return user.has_perm("cases.work_case") or is_auditor(user)


def workable_case_q(user, prefix: str = "") -> Q:
    """A filter on `prefix` (e.g. "case__") keeping the cases `user` may work on or download
    from, permissions aside: unrestricted ones and their own (every case for admins)."""
    if is_admin(user):
        return Q()
    unrestricted = Q(**{f"{prefix}restricted": False})
    if not user.is_authenticated:
        return unrestricted
    return unrestricted | Q(**{f"{prefix}assigned_officer": user.pk})


def visible_case_q(user, prefix: str = "") -> Q:
    """A filter on `prefix` keeping the cases `user` may see: those they may work on, and every
    case for auditors."""
    if is_auditor(user):
        return Q()
    return workable_case_q(user, prefix)


def visible_cases(user, queryset: QuerySet | None = None) -> QuerySet:
    """The cases `user` may see (all of them for admins and auditors)."""
    queryset = Case.objects.all() if queryset is None else queryset
    return queryset.filter(visible_case_q(user))


def may_work(user, case: Case) -> bool:
    """Whether `user` may act on `case` (officers: not on another officer's restricted case)."""
    return user.has_perm("cases.work_case") and (
        is_admin(user) or not case.restricted or case.assigned_officer_id == user.pk
    )


def ownership_locked(user, case: Case) -> frozenset[str]:
    """The ownership fields `user` may not change on `case`: restricting, unrestricting and
    reassigning are for admins and its current officer; an unassigned case may be taken by any
    officer (who then, as its officer, may restrict it)."""
    if user is not None and user.is_authenticated:
        if is_admin(user) or (case.assigned_officer_id and case.assigned_officer_id == user.pk):
            return frozenset()
        if case.assigned_officer_id is None:
            return frozenset({"restricted"})
    return frozenset({"assigned_officer", "restricted"})


def check_reference(reference: str) -> None:
    """404 for a reference no case can have (PostgreSQL refuses NUL in a query: not a 500)."""
    if "\x00" in reference:
        raise Http404


def case_or_404(
    user, reference: str, queryset: QuerySet | None = None, *, to_work: bool = False
) -> Case:
    """The case with this reference if `user` may see it (or, `to_work`, act on it); 404 whether
    it is hidden or missing."""
    check_reference(reference)
    queryset = Case.objects.all() if queryset is None else queryset
    allowed = workable_case_q(user) if to_work else visible_case_q(user)
    return get_object_or_404(queryset.filter(allowed), reference=reference)


def record_events_view(*, case: Case, actor, details: dict) -> None:
    """Audit that `actor` was shown the subject's events (the case page lists them)."""
    audit_append(case=case, actor=actor, action=AuditAction.EVENTS_VIEWED, details=details)
