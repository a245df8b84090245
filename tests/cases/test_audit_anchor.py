"""The global ledger and its anchor outside the database: every audit entry is one link, written
in order even by concurrent writers; `audit_anchor` writes the ledger's head to a file and to the
DPO, daily through beat; `verify_audit --anchor FILE` catches a trail rewritten, however
consistently, before an anchor was taken."""

import json
import threading
from io import StringIO

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import connection

from cases import services
from cases.audit import verify_ledger
from cases.models import AuditEntry, Case, LedgerEntry, LedgerHead
from dsar_portal.celery import app
from tests.cases.test_audit_tampering import delete_entries, rehash_chain, sql
from tests.factories import make_case

pytestmark = pytest.mark.django_db


def run(command: str, *args) -> str:
    out = StringIO()
    call_command(command, *args, stdout=out, stderr=StringIO())
    return out.getvalue().strip()


@pytest.fixture
def sinks(settings, tmp_path):
    settings.AUDIT_ANCHOR_FILE = str(tmp_path / "anchors.jsonl")
    settings.AUDIT_ANCHOR_EMAIL = ["dpo@example.com"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    return tmp_path / "anchors.jsonl"


def test_every_entry_is_one_link_in_the_order_written(officer):
    first = make_case(actor=officer)
    second = make_case(actor=officer)
    services.case_add_note(case=first, actor=officer, text="A note")
    links = list(LedgerEntry.objects.values_list("case_reference", "case_sequence", "case_hash"))
    entries = AuditEntry.objects.order_by("id").values_list("case__reference", "sequence", "hash")
    assert links == list(entries)
    assert [ref for ref, _, _ in links] == [first.reference, second.reference, first.reference]
    head = LedgerHead.objects.get()
    assert (head.length, head.hash) == (3, LedgerEntry.objects.last().hash)
    assert verify_ledger().problems == ()


def test_the_anchor_goes_to_the_file_and_the_dpo(officer, sinks):
    case = make_case(actor=officer)
    first = json.loads(run("audit_anchor"))
    services.case_add_note(case=case, actor=officer, text="Later")
    second = json.loads(run("audit_anchor"))
    lines = [json.loads(line) for line in sinks.read_text().splitlines()]
    assert lines == [first, second]
    assert (first["count"], second["count"]) == (1, LedgerHead.objects.get().length)
    assert second["hash"] == LedgerEntry.objects.last().hash
    assert [m.to for m in mail.outbox] == [["dpo@example.com"], ["dpo@example.com"]]
    assert json.dumps(second, sort_keys=True) in mail.outbox[1].body
    # The trail goes on growing, and still extends both heads.
    make_case(actor=officer)
    assert run("verify_audit", "--anchor", str(sinks)).endswith("extends 2 anchored head(s)")


def test_no_sink_is_an_error(settings):
    settings.AUDIT_ANCHOR_FILE, settings.AUDIT_ANCHOR_EMAIL = "", []
    with pytest.raises(CommandError, match="AUDIT_ANCHOR_FILE and/or AUDIT_ANCHOR_EMAIL"):
        run("audit_anchor")


def test_an_unwritable_file_is_an_error_but_the_dpo_still_gets_it(officer, sinks, settings):
    settings.AUDIT_ANCHOR_FILE = str(sinks.parent / "missing-folder" / "anchors.jsonl")
    with pytest.raises(CommandError, match="missing-folder"):
        run("audit_anchor")
    assert len(mail.outbox) == 1


def rewrite_ledger() -> None:
    """Re-link the ledger to the chains as they are now, as someone rewriting everything would."""
    chains = {
        (reference, sequence): digest
        for reference, sequence, digest in AuditEntry.objects.values_list(
            "case__reference", "sequence", "hash"
        )
    }
    previous = "0" * 64
    for link in list(LedgerEntry.objects.order_by("sequence")):
        link.case_hash = chains[(link.case_reference, link.case_sequence)]
        link.previous_hash = previous
        link.hash = link.compute_hash()
        sql(
            f"UPDATE {LedgerEntry._meta.db_table} SET case_hash = %s, previous_hash = %s, "
            "hash = %s WHERE id = %s",
            [link.case_hash, link.previous_hash, link.hash, link.pk],
        )
        previous = link.hash
    sql(f"UPDATE {LedgerHead._meta.db_table} SET hash = %s", [previous])


def test_a_consistent_rewrite_before_the_anchor_is_caught_only_by_the_anchor(officer, sinks):
    case = make_case(actor=officer, assigned_officer=officer)
    services.case_add_note(case=case, actor=officer, text="Called the subject")
    run("audit_anchor")
    services.case_add_note(case=case, actor=officer, text="Written after the anchor")

    rehash_chain(case, {2: {"text": "Never called"}})
    rewrite_ledger()

    assert run("verify_audit").startswith("ok")  # the database alone agrees with itself
    with pytest.raises(CommandError, match=r"anchor of .* \(2 entries\): the ledger no longer"):
        run("verify_audit", "--anchor", str(sinks))


def test_a_trail_cut_below_an_anchored_head_is_caught(officer, sinks):
    case = make_case(actor=officer)
    services.case_add_note(case=case, actor=officer, text="A note")
    run("audit_anchor")
    sql(f"DELETE FROM {LedgerEntry._meta.db_table} WHERE sequence = 2", [])
    delete_entries("case_id = %s AND sequence = 2", [case.pk])
    sql(
        f"UPDATE {LedgerHead._meta.db_table} SET length = 1, hash = %s",
        [LedgerEntry.objects.get().hash],
    )
    sql(f"UPDATE {Case._meta.db_table} SET audit_length = 1 WHERE id = %s", [case.pk])
    with pytest.raises(CommandError, match="no longer has that many links"):
        run("verify_audit", "--anchor", str(sinks))


def test_a_malformed_anchor_file_is_refused_with_its_line(tmp_path, officer):
    make_case(actor=officer)
    anchors = tmp_path / "anchors.jsonl"
    anchors.write_text("# kept by the DPO\n\n" + '{"count": 1}\n')
    with pytest.raises(CommandError, match=r"line 3: not an anchor"):
        run("verify_audit", "--anchor", str(anchors))


def test_beat_anchors_daily(sinks, officer):
    entry = django_settings.CELERY_BEAT_SCHEDULE["audit-anchor"]
    assert entry["schedule"].hour == {django_settings.AUDIT_ANCHOR_HOUR}
    app.loader.import_default_modules()
    task = app.tasks[entry["task"]]
    make_case(actor=officer)
    assert task() == 1  # what the worker runs when beat queues it
    assert json.loads(sinks.read_text())["count"] == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_get_consecutive_links(officer, postgres):
    cases = [make_case(actor=officer) for _ in range(4)]

    def write(case) -> None:
        try:
            for n in range(10):
                services.case_add_note(case=case, actor=officer, text=f"note {n}")
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(case,)) for case in cases]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert list(LedgerEntry.objects.values_list("sequence", flat=True)) == list(range(1, 45))
    assert run("verify_audit") == "ok: 44 entries in 4 cases; 0 redacted"
