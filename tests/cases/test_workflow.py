from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from cases import services
from cases.deadlines import extended_due_date_for
from cases.models import AuditEntry, Case
from cases.services import CaseRuleError
from cases.workflow import CaseStatus, TransitionNotAllowed, check_transition
from tests.factories import make_case

TODAY = timezone.localdate()
ALL = [s.value for s in CaseStatus]
# The workflow as the privacy team agreed it, written out here rather than read from the code.
ALLOWED = {
    ("received", "identity_verified"),
    ("received", "collecting"),  # collection may start before identity is verified
    ("received", "rejected"),
    ("received", "withdrawn"),
    ("identity_verified", "received"),  # the subject's details changed: verify again
    ("identity_verified", "collecting"),
    ("identity_verified", "rejected"),
    ("identity_verified", "withdrawn"),
    ("collecting", "collected"),
    ("collecting", "collection_incomplete"),
    ("collecting", "withdrawn"),
    ("collected", "collecting"),
    ("collected", "report_ready"),
    ("collected", "withdrawn"),
    ("collection_incomplete", "collecting"),
    ("collection_incomplete", "report_ready"),
    ("collection_incomplete", "withdrawn"),
    ("report_ready", "collecting"),
    ("report_ready", "sent"),
    ("report_ready", "withdrawn"),
    ("sent", "report_ready"),  # a corrected version
    ("sent", "closed"),
}


@pytest.mark.parametrize("current", ALL)
@pytest.mark.parametrize("new", ALL)
def test_only_the_agreed_moves_are_allowed(current, new):
    if (current, new) in ALLOWED:
        check_transition(current, new)
    else:
        with pytest.raises(TransitionNotAllowed, match="cannot move from"):
            check_transition(current, new)


def test_disallowed_transition_changes_nothing(db, officer):
    case = make_case(actor=officer)
    entries = AuditEntry.objects.count()
    with pytest.raises(TransitionNotAllowed):
        services.case_change_status(case=case, actor=officer, status=CaseStatus.SENT)
    case.refresh_from_db()
    assert case.status == CaseStatus.RECEIVED
    assert AuditEntry.objects.count() == entries


def test_reject_needs_a_reason(db, officer):
    case = make_case(actor=officer)
    with pytest.raises(CaseRuleError, match="reason"):
        services.case_change_status(case=case, actor=officer, status=CaseStatus.REJECTED)
    services.case_change_status(
        case=case, actor=officer, status=CaseStatus.REJECTED, reason="Manifestly unfounded"
    )
    case.refresh_from_db()
    assert (case.status, case.status_reason) == ("rejected", "Manifestly unfounded")
    entry = case.audit_entries.last()
    assert entry.readable_details == {
        "from": "received",
        "to": "rejected",
        "reason": "Manifestly unfounded",
    }


def test_identity_verification_is_recorded_and_audited(db, officer):
    case = make_case(actor=officer)
    services.case_verify_identity(
        case=case, actor=officer, method="email_control", notes="Replied from the address on file"
    )
    case.refresh_from_db()
    assert case.status == CaseStatus.IDENTITY_VERIFIED
    assert case.verified_by == officer and case.verified_at is not None
    assert case.audit_entries.last().action == "identity_verified"


def test_extension_sets_three_months_from_receipt(db, officer):
    received = TODAY - timedelta(days=10)
    case = make_case(actor=officer, received_on=received)
    services.case_extend_deadline(
        case=case, actor=officer, reason="Several accounts to search", subject_told_on=TODAY
    )
    case.refresh_from_db()
    assert case.due_date == extended_due_date_for(received)
    assert case.extended_on == TODAY
    entry = case.audit_entries.last()
    assert entry.action == "extended"
    assert entry.details["new_due_date"] == case.due_date.isoformat()


def test_only_one_extension(db, officer):
    case = make_case(actor=officer)
    services.case_extend_deadline(case=case, actor=officer, reason="Complex", subject_told_on=TODAY)
    with pytest.raises(CaseRuleError, match="already been extended"):
        services.case_extend_deadline(
            case=case, actor=officer, reason="Again", subject_told_on=TODAY
        )


def test_no_extension_after_the_first_deadline(db, officer):
    case = make_case(actor=officer, received_on=TODAY - timedelta(days=40))
    with pytest.raises(CaseRuleError, match="has passed"):
        services.case_extend_deadline(
            case=case, actor=officer, reason="Late", subject_told_on=TODAY
        )
    case.refresh_from_db()
    assert case.extended_on is None


@pytest.mark.parametrize(
    ("reason", "told_offset", "message"),
    [
        ("", 0, "reason"),
        ("Complex", 1, "future"),
        ("Complex", -30, "within the first month"),
    ],
)
def test_extension_rules(db, officer, reason, told_offset, message):
    case = make_case(actor=officer, received_on=TODAY - timedelta(days=5))
    with pytest.raises(CaseRuleError, match=message):
        services.case_extend_deadline(
            case=case,
            actor=officer,
            reason=reason,
            subject_told_on=TODAY + timedelta(days=told_offset),
        )


def test_extension_through_the_page_reports_errors(officer_client, officer):
    case = make_case(actor=officer, received_on=TODAY - timedelta(days=40))
    response = officer_client.post(
        reverse("cases:extend", args=[case.reference]),
        {"reason": "Complex", "subject_told_on": TODAY.isoformat()},
    )
    # Refused, and redirected: the error is shown once, beside the deadline.
    assert response.status_code == 302
    assert response["Location"] == f"{case.get_absolute_url()}#deadline"
    page = officer_client.get(response["Location"]).content.decode()
    assert "an extension must be made within the first month" in page
    again = officer_client.get(case.get_absolute_url()).content.decode()
    assert "an extension must be made within the first month" not in again
    assert "can no longer be extended" in again  # and the form is not offered any more
    assert 'action="/cases/' + case.reference + '/extend/"' not in again


def test_edit_records_old_and_new_values(officer_client, officer):
    case = make_case(actor=officer, subject_email="old@example.com")
    data = {
        "subject_name": case.subject_name,
        "subject_email": "new@example.com",
        "primary_keys": "new@example.com",
        "channels": ["email"],
        "search_from": case.search_from.isoformat(),
        "search_to": case.search_to.isoformat(),
        "received_on": case.received_on.isoformat(),
        "assigned_officer": str(officer.pk),
    }
    response = officer_client.post(reverse("cases:edit", args=[case.reference]), data)
    assert response.status_code == 302
    changes = Case.objects.get(pk=case.pk).audit_entries.last().readable_details["changes"]
    assert changes["subject_email"] == {"old": "old@example.com", "new": "new@example.com"}
    assert changes["channels"] == {"old": ["email", "sms"], "new": ["email"]}
    assert changes["assigned_officer"] == {"old": None, "new": "olivia"}
    assert "subject_name" not in changes


def test_notes_are_audited(officer_client, officer):
    case = make_case(actor=officer)
    officer_client.post(
        reverse("cases:note", args=[case.reference]), {"text": "Called the subject"}
    )
    assert case.notes.get().text == "Called the subject"
    assert case.audit_entries.last().readable_details == {"text": "Called the subject"}
