"""The trail reads as sentences with labelled details, on the case's trail section, in its CSV
export (itself audited) and in the admin's audit list; views and downloads are hidden unless
asked for; no detail is ever shown as Python or JSON data."""

import csv
import io
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from cases import services, trail
from cases.audit import audit_append, verify_chain
from cases.harvest import planning
from cases.models import AuditAction
from tests.factories import UserFactory, make_account, make_case

pytestmark = pytest.mark.django_db

# What Python or JSON data looks like when it leaks into a page.
DATA_LOOK = re.compile(r"\[\s*'|\{'|\{\"|': |\['|True\b|False\b|None\b")


@pytest.fixture
def worked_case(officer):
    make_account(name="Netcore EU", region="eu")
    make_account(name="Netcore US", region="us")
    case = make_case(
        actor=officer,
        assigned_officer=officer,
        channels=["email", "sms"],
        search_from=timezone.localdate() - timedelta(days=20),
    )
    services.case_verify_identity(case=case, actor=officer, method="known_details")
    windows = planning.harvest_start(case=case, actor=officer, enqueue=False)
    services.case_add_note(case=case, actor=officer, text="Called the subject")
    audit_append(
        case=case,
        actor=officer,
        action=AuditAction.EVENTS_VIEWED,
        details={"page": 1, "channel": "", "activity": ""},
    )
    return case, len(windows)


def test_each_entry_is_a_sentence_with_labelled_details(officer_client, worked_case):
    case, windows = worked_case
    response = officer_client.get(reverse("cases:trail", args=[case.reference]))
    page = response.content.decode()
    assert (
        "Olivia Officer verified the subject&#x27;s identity: "
        "confirmed details only the subject knows"
    ) in page
    assert f"Collection started: 2 accounts, {windows} windows" in page
    assert "Olivia Officer logged the request; due " in page
    assert "<dt>Netcore accounts</dt><dd>Netcore EU (eu), Netcore US (us)</dd>" in page
    assert "<dt>Windows per channel</dt><dd>Email: " in page
    assert "Olivia Officer added a note" in page
    text = re.sub(r"<[^>]+>", " ", page)
    assert not DATA_LOOK.search(text), DATA_LOOK.search(text)
    assert "collection_started" not in text and "identity_verified" not in text


def test_views_and_downloads_are_hidden_unless_asked(officer_client, worked_case):
    case, _ = worked_case
    url = reverse("cases:trail", args=[case.reference])
    hidden = officer_client.get(url).content.decode()
    assert "viewed the subject&#x27;s events" not in hidden
    assert "1 view and download hidden" in hidden
    shown = officer_client.get(url, {"views": "shown"}).content.decode()
    assert "Olivia Officer viewed the subject&#x27;s events" in shown
    assert "Hide views and downloads" in shown


def test_the_trail_downloads_as_csv_and_the_download_is_audited(officer_client, worked_case):
    case, windows = worked_case
    response = officer_client.get(reverse("cases:trail_csv", args=[case.reference]))
    assert response["Content-Disposition"] == f'attachment; filename="{case.reference}-trail.csv"'
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(body)))
    case.refresh_from_db()
    assert len(rows) == case.audit_length  # every entry, its own download included
    assert rows[-1]["what happened"] == "Olivia Officer downloaded this trail (CSV)"
    assert rows[-1]["view or download"] == "yes"
    started = next(r for r in rows if r["action"] == "collection_started")
    assert started["what happened"] == f"Collection started: 2 accounts, {windows} windows"
    assert "Netcore accounts: Netcore EU (eu), Netcore US (us)" in started["details"]
    assert started["who"] == "Olivia Officer"
    assert re.match(r"^\d{1,2} \w{3} \d{4}, \d\d:\d\d \w+", started["time"])
    assert case.audit_entries.filter(action="trail_downloaded").count() == 1
    assert verify_chain(case) == (case.audit_length, None)


def test_a_formula_in_a_note_stays_text_in_the_csv(officer_client, officer):
    case = make_case(actor=officer)
    services.case_add_note(case=case, actor=officer, text='=HYPERLINK("http://x")')
    response = officer_client.get(reverse("cases:trail_csv", args=[case.reference]))
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "Note: =HYPERLINK" in body  # inside the details cell, after its label
    note_row = next(r for r in csv.reader(io.StringIO(body)) if r[4] == "note_added")
    assert not any(cell.startswith("=") for cell in note_row)


def test_auditors_read_the_trail_but_do_not_download_it(client, worked_case):
    from tests.security.conftest import auditors_group

    case, _ = worked_case
    auditor = UserFactory(username="audrey")
    auditor.groups.add(auditors_group())
    client.force_login(auditor)
    assert client.get(reverse("cases:trail", args=[case.reference])).status_code == 200
    assert client.get(reverse("cases:trail_csv", args=[case.reference])).status_code == 403


def test_every_audit_action_has_words():
    assert set(AuditAction.values) == set(trail.TRAIL)
    assert {
        "events_viewed",
        "report_downloaded",
        "export_downloaded",
        "trail_downloaded",
        "link_viewed",  # the subject's, by their download link
        "link_downloaded",
        "case_file_downloaded",
    } == trail.ACCESS_ACTIONS


def test_an_unknown_action_and_odd_details_still_read_as_words(officer):
    case = make_case(actor=officer)
    entry = audit_append(
        case=case,
        actor=None,
        action="keys_rotated",
        details={"accounts": ["A", "B"], "nested": {"done": True, "at": "2026-05-01"}},
    )
    line = trail.describe(entry)
    assert line.sentence == "Keys rotated"
    assert line.who == "The portal"
    assert line.details == [("Accounts", "A, B"), ("Nested", "Done: yes; At: 1 May 2026")]


def test_the_admin_audit_list_uses_the_same_sentences(admin_client, worked_case):
    case, windows = worked_case
    page = admin_client.get("/admin/cases/auditentry/").content.decode()
    assert f"Collection started: 2 accounts, {windows} windows" in page
    assert "Olivia Officer verified the subject&#x27;s identity" in page
    assert ">identity_verified<" not in page
    # The filter names actions in words too.
    assert "Identity verified" in page and "?action=identity_verified" in page
    entry = case.audit_entries.get(action="collection_started")
    change = admin_client.get(f"/admin/cases/auditentry/{entry.pk}/change/").content.decode()
    assert "<dt>Netcore accounts</dt><dd>Netcore EU (eu), Netcore US (us)</dd>" in change


@pytest.fixture
def admin_client(client, django_user_model):
    admin = django_user_model.objects.create_superuser("ada", "ada@example.com", "x" * 20)
    client.force_login(admin)
    return client
