"""What `verify_audit` catches: each tampering below once went unnoticed (verify_audit said ok).
Every change is made the way someone with the database would make it: raw SQL."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from cases import services
from cases.audit import audit_append
from cases.audit_values import split_personal
from cases.jobs.retention import purge_case
from cases.models import (
    GENESIS_HASH,
    AuditAction,
    AuditEntry,
    AuditValues,
    Case,
    CaseNote,
    Report,
    ReportStatus,
)
from tests.factories import make_case

pytestmark = pytest.mark.django_db

ENTRIES = AuditEntry._meta.db_table
VALUES = AuditValues._meta.db_table
CASES = Case._meta.db_table


def sql(query: str, params: list) -> None:
    with connection.cursor() as cursor:
        cursor.execute(query, params)


def verify(*args) -> str:
    out = StringIO()
    call_command("verify_audit", *args, stdout=out)
    return out.getvalue().strip()


def problems(*args) -> str:
    with pytest.raises(CommandError) as caught:
        verify(*args)
    return str(caught.value)


@pytest.fixture
def worked_case(officer):
    case = make_case(actor=officer, assigned_officer=officer, subject_email="ana@example.com")
    services.case_add_note(case=case, actor=officer, text="Called the subject")
    services.case_verify_identity(case=case, actor=officer, method="email_control")
    make_case(actor=officer, subject_name="Bea Other")
    assert verify().startswith("ok: 4 entries in 2 cases")
    return Case.objects.get(pk=case.pk)


def delete_entries(where: str, params: list) -> None:
    """Delete entries with the personal values kept beside them (which point at them)."""
    sql(f"DELETE FROM {VALUES} WHERE entry_id IN (SELECT id FROM {ENTRIES} WHERE {where})", params)
    sql(f"DELETE FROM {ENTRIES} WHERE {where}", params)


def test_cutting_the_last_entry_and_the_count_is_caught(worked_case):
    delete_entries("case_id = %s AND sequence = 3", [worked_case.pk])
    sql(f"UPDATE {CASES} SET audit_length = 2 WHERE id = %s", [worked_case.pk])
    assert f"{worked_case.reference}: entry #3: in the ledger, missing from the chain" in problems()


def rehash_chain(case: Case, edits: dict[int, dict]) -> None:
    """Edit entries' details (their personal values committed and kept beside them as the portal
    does) and re-hash the whole chain so that it verifies on its own."""
    previous = GENESIS_HASH
    for entry in list(case.audit_entries.order_by("sequence")):
        if entry.sequence in edits:
            entry.details, values = split_personal(edits[entry.sequence])
            sql(
                f'UPDATE {VALUES} SET "values" = %s WHERE entry_id = %s',
                [json.dumps(values), entry.pk],
            )
        entry.previous_hash = previous
        entry.hash = entry.compute_hash(case.reference)
        sql(
            f"UPDATE {ENTRIES} SET details = %s, previous_hash = %s, hash = %s WHERE id = %s",
            [json.dumps(entry.details), entry.previous_hash, entry.hash, entry.pk],
        )
        previous = entry.hash


def test_a_chain_rehashed_after_an_edit_is_caught(worked_case):
    rehash_chain(worked_case, {2: {"text": "Never called"}})
    found = problems()
    assert f"{worked_case.reference}: entry #2: differs from the hash the ledger recorded" in found


def test_deleting_a_whole_case_is_caught(worked_case):
    delete_entries("case_id = %s", [worked_case.pk])
    sql(f"DELETE FROM {CaseNote._meta.db_table} WHERE case_id = %s", [worked_case.pk])
    sql(f"DELETE FROM {CASES} WHERE id = %s", [worked_case.pk])
    assert f"{worked_case.reference}: in the ledger, but there is no such case" in problems()


@pytest.mark.parametrize(
    ("column", "value", "expected"),
    [
        ("status", "sent", "status differs from the trail: 'sent' in the row"),
        ("verification_method", "document_sighted", "verification method differs"),
        ("verified_at", None, "identity verified differs"),
        ("subject_email", "thief@example.net", "recipient (subject email) differs from the trail"),
        ("due_date", "2099-12-31", "due date differs from the trail: '2099-12-31' in the row"),
        ("extended_on", "2026-01-01", "extended differs from the trail"),
    ],
)
def test_legally_relevant_fields_changed_by_sql_are_caught(worked_case, column, value, expected):
    sql(f"UPDATE {CASES} SET {column} = %s WHERE id = %s", [value, worked_case.pk])
    found = problems("--case", worked_case.reference)
    assert f"{worked_case.reference}: {expected}" in found
    assert "thief@example.net" not in found  # personal values are named, never printed


def test_an_unverified_case_marked_verified_by_sql_is_caught(officer):
    case = make_case(actor=officer)
    sql(
        f"UPDATE {CASES} SET verified_at = now(), verification_method = 'other', "
        "verified_by_id = %s, status = 'identity_verified' WHERE id = %s"
        if connection.vendor == "postgresql"
        else f"UPDATE {CASES} SET verified_at = CURRENT_TIMESTAMP, verification_method = 'other', "
        "verified_by_id = %s, status = 'identity_verified' WHERE id = %s",
        [officer.pk, case.pk],
    )
    found = problems()
    for expected in ("status differs", "identity verified differs", "verified by differs"):
        assert f"{case.reference}: {expected}" in found


def test_untouched_trails_verify_with_every_kind_of_entry(worked_case, officer):
    services.case_extend_deadline(
        case=worked_case,
        actor=officer,
        reason="Many systems to search",
        subject_told_on=worked_case.received_on,
    )
    services.case_update(case=worked_case, actor=officer, subject_email="ana.new@example.com")
    services.case_change_status(case=worked_case, actor=officer, status="collecting")
    # The email change also undid the verification: one entry more.
    assert verify().startswith("ok: 8 entries in 2 cases")


def test_a_report_versions_recorded_sha256_changed_by_sql_is_caught(officer):
    """Whoever replaces a report file must also change the SHA-256 recorded on its row for the
    download check to pass; the trail recorded the original."""
    case = make_case(actor=officer)
    made = {"sha256": "a" * 64, "json_sha256": "b" * 64, "csv_sha256": "c" * 64}
    report = Report.objects.create(case=case, version=1, status=ReportStatus.READY, **made)
    audit_append(
        case=case, actor=None, action=AuditAction.REPORT_GENERATED, details={"version": 1, **made}
    )
    assert verify().startswith("ok")

    sql(f"UPDATE {Report._meta.db_table} SET csv_sha256 = %s WHERE id = %s", ["d" * 64, report.pk])
    assert f"{case.reference}: report version 1: the CSV's SHA-256 differs" in problems()

    sql(f"UPDATE {Report._meta.db_table} SET csv_sha256 = %s WHERE id = %s", ["c" * 64, report.pk])
    for status in ("collecting", "collected", "report_ready", "sent"):
        services.case_change_status(case=case, actor=officer, status=status)
    purge_case(case)  # the versions are gone, and the trail says so
    assert verify().startswith("ok")
