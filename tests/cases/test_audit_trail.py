from io import StringIO
from itertools import pairwise

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from cases import services
from cases.models import AppendOnlyError, AuditEntry
from tests.cases.test_audit_tampering import delete_entries
from tests.factories import make_case


def verify(*args) -> str:
    out = StringIO()
    call_command("verify_audit", *args, stdout=out)
    return out.getvalue().strip()


@pytest.fixture
def two_cases(officer):
    first = make_case(actor=officer)
    services.case_add_note(case=first, actor=officer, text="First note")
    services.case_verify_identity(case=first, actor=officer, method="email_control")
    second = make_case(actor=officer, subject_name="Bea")
    return first, second


def test_chain_links_each_entry_to_the_previous(two_cases):
    first, _ = two_cases
    entries = list(first.audit_entries.order_by("sequence"))
    assert [e.sequence for e in entries] == [1, 2, 3]
    assert entries[0].previous_hash == "0" * 64
    for before, after in pairwise(entries):
        assert after.previous_hash == before.hash


def test_verify_reports_ok(two_cases):
    assert verify() == "ok: 4 entries in 2 cases; 0 redacted"
    assert verify("--case", two_cases[0].reference) == "ok: 3 entries in 1 cases; 0 redacted"


def test_entries_cannot_be_changed_or_deleted_through_the_orm(two_cases):
    entry = AuditEntry.objects.first()
    entry.action = "nothing happened"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.filter(pk=entry.pk).update(action="x")
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.all().delete()
    assert AuditEntry.objects.get(pk=entry.pk).action == "created"


def test_raw_sql_edit_is_caught(two_cases):
    first, _ = two_cases
    target = first.audit_entries.get(sequence=2)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {AuditEntry._meta.db_table} SET details = %s WHERE id = %s",
            ['{"text": "A different note"}', target.pk],
        )
    with pytest.raises(CommandError) as caught:
        verify()
    assert f"{first.reference}: entry #2: content does not match hash" in str(caught.value)


def test_raw_sql_delete_of_the_last_entry_is_caught(two_cases):
    first, _ = two_cases
    delete_entries("case_id = %s AND sequence = 3", [first.pk])
    with pytest.raises(CommandError, match="3 entries were written, 2 remain"):
        verify("--case", first.reference)


def test_rewritten_hash_breaks_the_next_link(two_cases):
    first, _ = two_cases
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {AuditEntry._meta.db_table} SET hash = %s WHERE case_id = %s AND sequence = 1",
            ["f" * 64, first.pk],
        )
    with pytest.raises(CommandError, match="entry #1: content does not match hash"):
        verify()


def test_admin_shows_entries_read_only(admin_client, two_cases):
    entry = AuditEntry.objects.first()
    page = admin_client.get(f"/admin/cases/auditentry/{entry.pk}/change/")
    assert page.status_code == 200
    assert 'name="action"' not in page.content.decode()
    assert admin_client.get("/admin/cases/auditentry/add/").status_code == 403
    assert admin_client.post(f"/admin/cases/auditentry/{entry.pk}/delete/").status_code == 403
