"""Personal values live beside the audit chain, never in what it hashes: each is a salted SHA-256
commitment in the entry's details, its value and salt in AuditValues. Kept values must match their
commitments; erasing them is retention's alone (recorded in the trail); the pages read values
back while they are kept and show "(erased)" afterwards."""

import hashlib
import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from cases import services
from cases.audit_values import canonical_json, commitments_in
from cases.jobs.retention import apply_retention
from cases.models import AuditEntry, AuditValues
from tests.factories import make_case

pytestmark = pytest.mark.django_db

VALUES = AuditValues._meta.db_table
PERSONAL = {
    "email": "bea.old@example.org",
    "new_email": "bea.new@example.org",
    "name": "Beatriz Quintela",
    "key": "+351912345678",
    "notes": "Bea answered the question about her last order",
    "reason": "Bea asked for every message since 2019",
    "question": "Which newsletters does Bea mean?",
    "note": "Spoke to Bea on the phone",
    "rejection": "Bea withdrew by phone",
}


def verify(*args) -> str:
    out = StringIO()
    call_command("verify_audit", *args, stdout=out)
    return out.getvalue().strip()


def problems(*args) -> str:
    with pytest.raises(CommandError) as caught:
        verify(*args)
    return str(caught.value)


def sql(query: str, params: list) -> None:
    with connection.cursor() as cursor:
        cursor.execute(query, params)


@pytest.fixture
def worked_case(officer, admin_user):
    """A UK GDPR case through every service whose entry carries a personal value."""
    case = make_case(
        actor=officer,
        regime="uk-gdpr",
        subject_name=PERSONAL["name"],
        subject_email=PERSONAL["email"],
        primary_keys=[PERSONAL["email"]],
    )
    services.case_verify_identity(
        case=case, actor=officer, method="known_details", notes=PERSONAL["notes"]
    )
    services.case_update(
        case=case,
        actor=officer,
        subject_name=f"{PERSONAL['name']} Lopes",
        subject_email=PERSONAL["new_email"],
        primary_keys=[PERSONAL["new_email"], PERSONAL["key"]],
    )
    services.case_pause_clock(
        case=case, actor=officer, asked_on=case.received_on, question=PERSONAL["question"]
    )
    services.case_resume_clock(case=case, actor=officer, answered_on=case.received_on)
    services.case_extend_deadline(
        case=case, actor=officer, reason=PERSONAL["reason"], subject_told_on=case.received_on
    )
    services.case_add_note(case=case, actor=officer, text=PERSONAL["note"])
    services.case_place_legal_hold(case=case, actor=admin_user, reason=PERSONAL["reason"])
    services.case_lift_legal_hold(case=case, actor=admin_user, reason=PERSONAL["note"])
    services.case_change_status(
        case=case, actor=officer, status="withdrawn", reason=PERSONAL["rejection"]
    )
    case.refresh_from_db()
    return case


def test_the_chain_hashes_commitments_never_values(worked_case):
    entries = list(worked_case.audit_entries.select_related("values_row").order_by("sequence"))
    hashed = json.dumps([e.details for e in entries], ensure_ascii=False)
    readable = json.dumps([e.readable_details for e in entries], ensure_ascii=False)
    for value in PERSONAL.values():
        assert value not in hashed, value
        assert value in readable, value
    # A change's old and new values are committed one by one; the rest stays as it was.
    [updated] = [e for e in entries if e.action == "updated"]
    email = updated.details["changes"]["subject_email"]
    assert set(email) == {"old", "new"} and all(set(v) == {"commitment"} for v in email.values())
    assert updated.readable_details["changes"]["subject_email"] == {
        "old": PERSONAL["email"],
        "new": PERSONAL["new_email"],
    }
    assert verify() == f"ok: {len(entries)} entries in 1 cases; 0 redacted"


def test_a_commitment_is_sha256_over_the_salt_and_the_value(worked_case):
    note = worked_case.audit_entries.get(action="note_added")
    [commitment] = commitments_in(note.details)
    kept = note.values_row.values[commitment]
    assert kept["value"] == PERSONAL["note"] and len(kept["salt"]) == 32
    recomputed = hashlib.sha256(
        bytes.fromhex(kept["salt"]) + canonical_json(PERSONAL["note"]).encode()
    ).hexdigest()
    assert recomputed == commitment
    # Salted: the same value committed twice gives two commitments.
    services.case_add_note(case=worked_case, actor=None, text=PERSONAL["note"])
    assert commitments_in(AuditEntry.objects.last().details) != [commitment]


def set_values(entry: AuditEntry, values: dict, erased: bool = False) -> None:
    sql(
        f'UPDATE {VALUES} SET "values" = %s, erased_at = %s WHERE entry_id = %s',
        [json.dumps(values), timezone.now() if erased else None, entry.pk],
    )


def test_a_kept_value_changed_by_sql_is_caught(worked_case):
    note = worked_case.audit_entries.get(action="note_added")
    values = note.values_row.values
    [commitment] = values
    values[commitment]["value"] = "Never spoke to anyone"
    set_values(note, values)
    assert f"entry #{note.sequence}: a personal value does not match its commitment" in problems()


def test_a_salt_changed_by_sql_is_caught(worked_case):
    note = worked_case.audit_entries.get(action="note_added")
    values = note.values_row.values
    [commitment] = values
    values[commitment]["salt"] = "00" * 16
    set_values(note, values)
    assert "a personal value does not match its commitment" in problems()


def test_values_erased_outside_retention_are_caught(worked_case):
    created = worked_case.audit_entries.get(action="created")
    set_values(created, {}, erased=True)
    found = problems()
    assert "entry #1: its personal values were erased, but no erasure is recorded after it" in found


def test_values_deleted_or_added_are_caught(worked_case):
    note = worked_case.audit_entries.get(action="note_added")
    sql(f"DELETE FROM {VALUES} WHERE entry_id = %s", [note.pk])
    assert f"entry #{note.sequence}: its personal values are missing" in problems()

    collected = make_case(actor=None)
    services.case_change_status(case=collected, actor=None, status="collecting")
    entry = collected.audit_entries.get(action="status_changed")
    sql(
        f'INSERT INTO {VALUES} (entry_id, "values") VALUES (%s, %s)',
        [entry.pk, json.dumps({"a" * 64: {"salt": "00", "value": "x"}})],
    )
    found = problems("--case", collected.reference)
    assert "values are kept beside it, but its details commit to none" in found


def test_pages_read_values_back_then_show_them_erased(
    worked_case, officer_client, admin_client, settings
):
    page = officer_client.get(reverse("cases:trail", args=[worked_case.reference])).content.decode()
    assert PERSONAL["note"] in page and PERSONAL["new_email"] in page
    note = worked_case.audit_entries.get(action="note_added")
    admin_url = reverse("admin:cases_auditentry_change", args=[note.pk])
    admin_page = admin_client.get(admin_url).content.decode()
    assert PERSONAL["note"] in admin_page and "commitment" in admin_page

    later = timezone.now() + timedelta(days=settings.ACCOUNTABILITY_RETENTION_DAYS + 1)
    assert len(apply_retention(now=later).anonymised) == 1

    page = officer_client.get(reverse("cases:trail", args=[worked_case.reference])).content.decode()
    assert "(erased)" in page
    assert not [value for value in PERSONAL.values() if value in page]
    admin_page = admin_client.get(admin_url).content.decode()
    assert "(erased)" in admin_page and PERSONAL["note"] not in admin_page
    redacted = AuditValues.objects.filter(erased_at__isnull=False).count()
    assert redacted == 9 and verify().endswith(f"; {redacted} redacted")
