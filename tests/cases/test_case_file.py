"""The case file: how one request was handled, for a supervisory authority. A request handled end
to end (a real report, a link sent through a real SMTP server, the subject's download), then both
retention stages: after each, `case_file` still tells the whole handling from what is kept, the
PDF is read back with pypdf, and `verify_audit` is ok, counting the redacted entries; after the
accountability stage no personal value is left in any column of any table."""

import hashlib
import json
from datetime import timedelta
from io import StringIO
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from cases import services
from cases.case_file.production import build_prepared_case_file
from cases.harvest import planning
from cases.harvest.dispatch import queue_here
from cases.harvest.window import harvest_window
from cases.jobs.retention import apply_retention
from cases.models import AuditEntry, AuditValues, Delivery, OrganisationProfile, PreparedCaseFile
from cases.reports import generation
from cases.reports.delivery import delivery_send
from netcore.sandbox import Sandbox
from tests.cases.test_delivery_link import ask_code, enter, secret_of
from tests.delivery_fixtures import (
    confirmation,
    dpo_profile,
    link_in,
    text_and_html,
)
from tests.factories import UserFactory, make_case
from tests.harvest_fixtures import SANDBOX_KEY, d, sandbox_account
from tests.security.conftest import auditors_group
from tests.smtp_server import SmtpServer

pytestmark = pytest.mark.django_db

SUBJECT_NAME = "Ana Lima"
EMAIL = "ana.lima@example.net"
PHONE_KEY = "+447700900123"
NOTE = f"Called {SUBJECT_NAME} on {PHONE_KEY} to confirm the scope"
VERIFICATION_NOTES = f"{SUBJECT_NAME} confirmed her last order number"
EXTENSION_REASON = f"{SUBJECT_NAME}'s request spans five Netcore accounts"
# Every personal value the handling wrote somewhere, as the all-tables search looks for them.
PERSONAL = (EMAIL, PHONE_KEY, SUBJECT_NAME, "last order number", "five Netcore accounts")


@pytest.fixture(autouse=True)
def setup(settings, private_storage):
    settings.REPORT_SEND_BACKOFF_SECONDS = 0


@pytest.fixture
def smtp(settings):
    with SmtpServer() as server:
        server.use_in(settings)
        yield server


def run(command: str, *args) -> str:
    out = StringIO()
    call_command(command, *args, stdout=out, stderr=StringIO())
    return out.getvalue().strip()


def pdf_text(path: Path) -> str:
    reader = PdfReader(path)
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


def handle_request(officer, officer_client, smtp) -> str:
    """Receive, collect (from the sandbox), verify, extend, report (rendered for real), send a
    link, let the subject download the PDF, close: the whole handling, through the services the
    pages use."""
    dpo_profile()
    case = make_case(
        actor=officer,
        subject_name=SUBJECT_NAME,
        subject_email=EMAIL,
        primary_keys=[EMAIL, PHONE_KEY],
        search_from=d("2025-01-01"),
        search_to=d("2025-01-10"),
    )
    with Sandbox(api_key=SANDBOX_KEY, events_per_day=1) as sandbox:
        sandbox_account(sandbox, name="Sandbox EU")
        planning.harvest_start(case=case, actor=officer, enqueue=False)
        for window_id in queue_here(case.pk):
            harvest_window(window_id, dispatch=False)
    generation.report_build(generation.report_request(case=case, actor=officer).pk)
    services.case_verify_identity(
        case=case, actor=officer, method="known_details", notes=VERIFICATION_NOTES
    )
    services.case_extend_deadline(
        case=case, actor=officer, reason=EXTENSION_REASON, subject_told_on=case.received_on
    )
    services.case_add_note(case=case, actor=officer, text=NOTE)
    step = confirmation(officer_client, case, 1, "link")
    officer_client.post(step["url"], step["data"])
    delivery = Delivery.objects.get()
    assert delivery_send(delivery.pk).outcome == "sent"
    path = urlsplit(link_in(text_and_html(smtp.messages[-1])[0])).path
    subject = Client()
    subject.get(path)
    enter(subject, path, ask_code(subject, path, smtp))
    assert subject.get(reverse("link:file", args=[secret_of(path), "pdf"])).status_code == 200
    case.refresh_from_db()
    assert case.status == "sent"
    services.case_change_status(case=case, actor=officer, status="closed")
    # The profile changes after the report went out: the case file shows what the subject read.
    profile = OrganisationProfile.load()
    profile.purposes = "A purpose written a year later."
    profile.save()
    return case.reference


def columns_holding(texts: tuple[str, ...]) -> list[str]:
    """Every column of every table of the database that holds one of `texts` (any case)."""
    found = []
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            for column in connection.introspection.get_table_description(cursor, table):
                for text in texts:
                    cursor.execute(
                        f"SELECT COUNT(*) FROM {quote(table)} "
                        f"WHERE LOWER(CAST({quote(column.name)} AS TEXT)) LIKE %s",
                        [f"%{text.lower()}%"],
                    )
                    if cursor.fetchone()[0]:
                        found.append(f"{table}.{column.name}: {text}")
    return found


def test_purge_then_case_file_then_verify_then_anonymise(
    officer, officer_client, smtp, tmp_path, settings
):
    reference = handle_request(officer, officer_client, smtp)
    later = timezone.now()
    assert columns_holding(PERSONAL)  # the search finds what is there

    # The data stage: events, windows, report files and deliveries go.
    run_one = apply_retention(now=later + timedelta(days=settings.RETENTION_DAYS_AFTER_CLOSE + 1))
    assert [p.reference for p in run_one.purged] == [reference] and run_one.anonymised == []
    pdf = tmp_path / "after-purge.pdf"
    assert run("case_file", reference, "--output", str(pdf)).startswith(
        f"{reference}: case file written to {pdf}"
    )
    text = pdf_text(pdf)
    for expected in (
        f"Case file {reference}",
        SUBJECT_NAME,
        EMAIL,
        "Confirmed details only the subject knows",
        VERIFICATION_NOTES,
        EXTENSION_REASON,
        "EU GDPR",
        "Sandbox EU (http://127.0.0.1",  # the account searched, with its address
        "Downloaded by the subject",
        "deleted by retention on",
        # The Art. 15 text the version was made with, not the profile as it is now.
        OrganisationProfile._meta.get_field("purposes").get_default()[:60],
        "The trail verifies.",
        "0 entries have had their personal values erased",
    ):
        assert expected in text, expected
    assert "A purpose written a year later" not in text
    assert NOTE not in text  # notes only when asked for
    assert len(PdfReader(pdf).pages) >= 3
    assert run("verify_audit").startswith("ok: ") and run("verify_audit").endswith("; 0 redacted")

    printed = run("case_file", reference, "--json", "--notes") + "\n"
    as_json = json.loads(printed)
    [version] = as_json["reports"]
    assert version["files"].startswith("deleted by retention")
    assert version["profile"]["intact"] and version["pages"] > 0
    [delivery] = as_json["deliveries"]
    assert (delivery["channel"], delivery["recipient"], delivery["outcome"]) == (
        "link",
        EMAIL,
        "sent",
    )
    assert {"what": "Downloaded by the subject", "detail": "pdf"}.items() <= (
        delivery["subject_access"][-1].items()
    )
    assert [note["text"] for note in as_json["notes"]] == [NOTE]
    assert as_json["trail"]["verification"]["ok"]
    # Each production is in the trail with the SHA-256 of what was handed out.
    [produced] = [e for e in as_json["trail"]["entries"] if e["action"] == "case_file_produced"]
    assert produced["details"] == {
        "format": "pdf",
        "with_notes": False,
        "via": "command",
        "sha256": hashlib.sha256(pdf.read_bytes()).hexdigest(),
        "size": pdf.stat().st_size,
    }
    last = AuditEntry.objects.filter(case__reference=reference).order_by("sequence").last()
    assert last.details["sha256"] == hashlib.sha256(printed.encode()).hexdigest()

    # The accountability stage: the subject is replaced by a pseudonym, the trail's values erased.
    days = settings.ACCOUNTABILITY_RETENTION_DAYS + 1
    run_two = apply_retention(now=later + timedelta(days=days))
    [anonymised] = run_two.anonymised
    assert anonymised.reference == reference and anonymised.entries_erased > 0
    assert columns_holding(PERSONAL) == []
    pdf = tmp_path / "after-anonymisation.pdf"
    run("case_file", reference, "--output", str(pdf), "--notes")
    text = pdf_text(pdf)
    assert not [value for value in PERSONAL if value.lower() in text.lower()]
    assert "(erased)" in text and "The trail verifies." in text
    assert "Anonymised by retention on" in text and "No notes are kept." in text
    redacted = AuditValues.objects.filter(erased_at__isnull=False).count()
    assert redacted == anonymised.entries_erased
    assert run("verify_audit").endswith(f"; {redacted} redacted")
    assert f"{redacted} entries have had their personal values erased" in text
    assert columns_holding(PERSONAL) == []  # nor did producing the file bring any back


@pytest.fixture
def auditor(db):
    user = UserFactory(username="audrey")
    user.groups.add(auditors_group())
    return user


def prepare(client, case, django_capture_on_commit_callbacks, **data) -> PreparedCaseFile:
    """Press "Prepare case file (PDF)", then run what the queued task runs."""
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(reverse("cases:case_file_prepare", args=[case.reference]), data)
    assert response.status_code == 302
    assert (
        response["Location"] == reverse("cases:trail", args=[case.reference]) + "#case-file-heading"
    )
    assert len(callbacks) == 1  # one task queued, after commit
    prepared = case.prepared_case_files.get()
    assert prepared.status == "generating"
    build_prepared_case_file(prepared.pk)
    prepared.refresh_from_db()
    return prepared


def test_officers_and_auditors_take_it_and_each_is_audited(
    officer, officer_client, auditor, outsider, django_capture_on_commit_callbacks, tmp_path
):
    case = make_case(actor=officer, subject_email=EMAIL)
    services.case_add_note(case=case, actor=officer, text=NOTE)
    auditor_client = Client()
    auditor_client.force_login(auditor)

    # The PDF: prepared by a worker, then downloaded from the case page.
    prepared = prepare(auditor_client, case, django_capture_on_commit_callbacks, notes="1")
    assert prepared.status == "ready" and prepared.requested_by == auditor and prepared.pages
    pdf_url = reverse("cases:case_file_pdf", args=[case.reference, prepared.pk])
    page = officer_client.get(reverse("cases:trail", args=[case.reference])).content.decode()
    assert pdf_url in page and "with notes" in page
    response = officer_client.get(pdf_url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        f'attachment; filename="{case.reference}-case-file.pdf"'
    )
    data = b"".join(response.streaming_content)
    (tmp_path / "got.pdf").write_bytes(data)
    assert NOTE in pdf_text(tmp_path / "got.pdf")
    assert hashlib.sha256(data).hexdigest() == prepared.sha256

    # The JSON: made at once.
    json_url = reverse("cases:case_file_json", args=[case.reference])
    response = officer_client.get(json_url)
    assert response["Content-Disposition"].endswith(f'filename="{case.reference}-case-file.json"')
    without_notes = json.loads(response.content)
    assert without_notes["notes"] is None and without_notes["case_file"]["produced_by"] == "olivia"

    trail = case.audit_entries.filter(action__startswith="case_file").order_by("sequence")
    assert [(e.action, e.actor_label, e.details) for e in trail] == [
        (
            "case_file_produced",
            "audrey",
            {
                "format": "pdf",
                "with_notes": True,
                "via": "case page",
                "sha256": prepared.sha256,
                "size": prepared.size,
            },
        ),
        ("case_file_downloaded", "olivia", {"prepared": prepared.pk, "sha256": prepared.sha256}),
        (
            "case_file_produced",
            "olivia",
            {
                "format": "json",
                "with_notes": False,
                "via": "case page",
                "sha256": hashlib.sha256(response.content).hexdigest(),
                "size": len(response.content),
            },
        ),
    ]
    # A HEAD is no download, and no role gets nothing.
    assert officer_client.head(pdf_url).status_code == 405
    outsider_client = Client()
    outsider_client.force_login(outsider)
    assert outsider_client.get(pdf_url).status_code == 403
    assert outsider_client.get(json_url).status_code == 403
    assert trail.count() == 3


def test_a_prepared_file_altered_is_refused(
    officer, officer_client, django_capture_on_commit_callbacks
):
    case = make_case(actor=officer)
    prepared = prepare(officer_client, case, django_capture_on_commit_callbacks)
    with prepared.file.open("wb") as file:
        file.write(b"%PDF-1.7 something else")
    response = officer_client.get(
        reverse("cases:case_file_pdf", args=[case.reference, prepared.pk]), follow=True
    )
    assert "not the one that was made" in response.content.decode()
    assert not case.audit_entries.filter(action="case_file_downloaded").exists()


def test_one_at_a_time(officer, officer_client, django_capture_on_commit_callbacks):
    case = make_case(actor=officer)
    url = reverse("cases:case_file_prepare", args=[case.reference])
    officer_client.post(url)
    response = officer_client.post(url, follow=True)
    assert "already being prepared" in response.content.decode()
    assert case.prepared_case_files.count() == 1


def test_the_command_says_what_is_wrong(officer, tmp_path):
    case = make_case(actor=officer)
    with pytest.raises(CommandError, match="--output FILE"):
        run("case_file", case.reference)
    with pytest.raises(CommandError, match="No case DSAR-1999-0001"):
        run("case_file", "DSAR-1999-0001", "--json")
    with pytest.raises(CommandError, match="is not a folder"):
        run("case_file", case.reference, "--output", str(tmp_path / "missing" / "f.pdf"))
    assert not case.audit_entries.filter(action="case_file_produced").exists()
    out = tmp_path / "file.json"
    run("case_file", case.reference, "--json", "--output", str(out))
    assert json.loads(out.read_text())["case_file"]["reference"] == case.reference
    assert list(tmp_path.iterdir()) == [out]  # nothing half-written left beside it


def test_a_trail_that_does_not_verify_is_written_and_named(officer, tmp_path):
    case = make_case(actor=officer, subject_email=EMAIL)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE cases_case SET due_date = '2099-12-31' WHERE id = %s", [case.pk])
    out = tmp_path / "file.pdf"
    with pytest.raises(CommandError, match=r"does not verify: .*due date differs"):
        run("case_file", case.reference, "--output", str(out))
    text = pdf_text(out)
    assert "The trail does not verify" in text and "due date differs from the trail" in text
