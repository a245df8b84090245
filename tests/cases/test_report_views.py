"""Generating a report from the case page, and downloads that only officers get (audited)."""

import hashlib
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader

from cases.models import AuditEntry, Report, ReportStatus
from cases.reports import generation as reports
from tests.factories import make_case, make_collected_case

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def one_render_process(settings, private_storage):
    settings.REPORT_RENDER_PROCESSES = 1


def generate(client, case, django_capture_on_commit_callbacks, **data) -> Report | None:
    """POST "Generate report", then run what the queued task runs."""
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(reverse("cases:report_generate", args=[case.reference]), data)
    assert response.status_code == 302
    made = case.reports.order_by("-version").first()
    if made is not None and callbacks:
        assert len(callbacks) == 1  # one task queued, after commit
        reports.report_build(made.pk)
        made.refresh_from_db()
    return made


def test_officer_generates_a_version_that_is_stored_privately_and_audited(
    officer_client, officer, django_capture_on_commit_callbacks, private_storage
):
    case = make_collected_case(events=7, actor=officer)

    made = generate(officer_client, case, django_capture_on_commit_callbacks)

    assert made.status == ReportStatus.READY and made.version == 1
    assert made.generated_by == officer
    path = made.file.path
    assert path.startswith(str(private_storage))
    with open(path, "rb") as file:
        data = file.read()
    assert made.sha256 == hashlib.sha256(data).hexdigest()
    assert made.size == len(data)
    assert made.pages == len(PdfReader(path).pages)
    assert made.event_count == 7
    # Nothing serves the private folder, whatever URL the storage would make up.
    assert officer_client.get("/" + made.file.url.lstrip("/")).status_code == 404
    entry = case.audit_entries.get(action="report_generated")
    assert entry.details == {
        "version": 1,
        "sha256": made.sha256,
        "json_sha256": hashlib.sha256(made.json_file.read()).hexdigest(),
        "csv_sha256": hashlib.sha256(made.csv_file.read()).hexdigest(),
        "size": made.size,
        "pages": made.pages,
        "event_count": 7,
        "acknowledged_gaps": False,
        "profile_sha256": made.profile_snapshot.sha256,
        "language": "en",
    }
    assert made.language == "en"
    case.refresh_from_db()
    assert case.status == "report_ready"

    # A second version is kept beside the first.
    second = generate(officer_client, case, django_capture_on_commit_callbacks)
    assert second.version == 2 and second.status == ReportStatus.READY
    assert case.reports.count() == 2

    page = officer_client.get(reverse("cases:report", args=[case.reference])).content.decode()
    assert made.sha256[:16] in page and second.sha256[:16] in page
    assert reverse("cases:report_pdf", args=[case.reference, 2]) in page


def test_failed_windows_need_the_officers_acknowledgement(
    officer_client, officer, django_capture_on_commit_callbacks
):
    case = make_collected_case(events=2, failed_windows=2, actor=officer)

    assert generate(officer_client, case, django_capture_on_commit_callbacks) is None
    page = officer_client.get(reverse("cases:report", args=[case.reference])).content.decode()
    assert "Part of the data could not be collected" in page
    assert 'name="acknowledge_gaps"' in page

    made = generate(officer_client, case, django_capture_on_commit_callbacks, acknowledge_gaps="on")
    assert made.status == ReportStatus.READY
    assert made.acknowledged_gaps and "2 of 3 requests to Netcore failed" in made.gaps_text
    text = "".join(p.extract_text() for p in PdfReader(made.file.path).pages)
    assert "Olivia Officer reviewed these gaps on" in text
    assert case.audit_entries.get(action="report_generated").details["acknowledged_gaps"]


def test_no_report_before_the_data_is_collected(officer_client, officer):
    case = make_case(actor=officer)
    response = officer_client.post(
        reverse("cases:report_generate", args=[case.reference]), follow=True
    )
    assert "once the data is collected" in response.content.decode()
    assert not case.reports.exists()


def test_downloads_are_audited_and_refused_to_others(
    officer_client, officer, outsider, django_capture_on_commit_callbacks
):
    case = make_collected_case(events=3, actor=officer)
    made = generate(officer_client, case, django_capture_on_commit_callbacks)
    urls = {
        "pdf": reverse("cases:report_pdf", args=[case.reference, 1]),
        "json": reverse("cases:report_export", args=[case.reference, 1, "json"]),
        "csv": reverse("cases:report_export", args=[case.reference, 1, "csv"]),
    }
    before = AuditEntry.objects.count()

    client = Client()
    client.force_login(outsider)
    for url in urls.values():
        assert client.get(url).status_code == 403
    client.logout()
    for url in urls.values():
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert AuditEntry.objects.count() == before

    pdf = officer_client.get(urls["pdf"])
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    with made.file.open("rb") as file:
        assert b"".join(pdf.streaming_content) == file.read()
    assert f"{case.reference}-access-report-v1.pdf" in pdf["Content-Disposition"]
    exported = officer_client.get(urls["json"])
    assert b'"event_count": 3' in b"".join(exported.streaming_content)
    assert officer_client.get(urls["csv"]).status_code == 200

    latest = case.audit_entries.order_by("-sequence")[:3]
    actions = [(e.action, e.actor_label, e.details) for e in reversed(latest)]
    assert actions == [
        ("report_downloaded", "olivia", {"version": 1, "format": "pdf"}),
        ("export_downloaded", "olivia", {"version": 1, "format": "json"}),
        ("export_downloaded", "olivia", {"version": 1, "format": "csv"}),
    ]
    assert officer_client.get(urls["pdf"].replace("1.pdf", "9.pdf")).status_code == 404
    bad_kind = reverse("cases:report_export", args=[case.reference, 1, "xml"])
    assert officer_client.get(bad_kind).status_code == 404


def test_one_generation_at_a_time_unless_the_earlier_one_was_lost(officer):
    case = make_collected_case(events=1, actor=officer)
    first = reports.report_request(case=case, actor=officer)

    with pytest.raises(reports.ReportError, match="already being generated"):
        reports.report_request(case=case, actor=officer)
    Report.objects.filter(pk=first.pk).update(created_at=first.created_at - timedelta(hours=2))
    second = reports.report_request(case=case, actor=officer)
    assert second.version == 2
