"""The report's content read back from the PDF: sections, counts, events, attachments, PDF/A."""

import csv
import io
import json
import re
from datetime import UTC

import pytest
from pypdf import PdfReader

from cases.models import ActivityEvent
from cases.reports.document import Acknowledgement, GapsNotAcknowledged, render_report
from tests.factories import make_collected_case, make_events, make_window

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def one_process(settings):
    # Worker processes are tested once below; in-process rendering keeps the other tests fast.
    settings.REPORT_RENDER_PROCESSES = 1


def read(path):
    reader = PdfReader(path)
    return reader, [page.extract_text() for page in reader.pages]


def test_sections_counts_and_events_are_in_the_report(tmp_path):
    case = make_collected_case(events=0, subject_name="Alex Example")
    email = case.windows.get()
    make_events(
        email,
        specs=[
            {"activity": "sent", "message_id": "m-1", "message_name": "Welcome"},
            {"activity": "open", "message_id": "m-1", "message_name": "Welcome"},
            {
                "activity": "click",
                "message_id": "m-2",
                "message_name": "Spring sale",
                "link": "https://shop.example.com/sale?id=7",
                "extra": {"campaign_tag": "spring-26", "score": {"a": 1}},
            },
        ],
    )
    sms = make_window(case, channel="sms")
    make_events(sms, specs=[{"activity": "sent", "message_id": "s-1", "message_name": "Code"}])

    result = render_report(case, tmp_path / "r.pdf", version=3)

    reader, pages = read(tmp_path / "r.pdf")
    text = "\n".join(pages)
    assert result.pages == len(reader.pages)
    assert result.event_count == 4
    for heading in (
        "Your request for a copy of your personal data",
        "1. Confirmation and information about the processing",
        "2. Summary of your data",
        "3. What we searched",
        "4. Your data: Email",
        "4. Your data: SMS",
        "5. Glossary",
    ):
        assert heading in text, heading
    assert "Dear Alex Example," in text
    assert f"{case.reference} (report version 3)" in text
    assert "We confirm that we process personal data about you" in text
    # Art. 15 information from the organisation profile.
    assert "Example Marketing Ltd" in text and "standard contractual" in text
    # Summary: per channel totals, distinct messages, counts per activity.
    assert "3 events about 2 distinct messages" in text
    assert "1 event about 1 distinct message" in text
    assert "Netcore accounts" in text and "Netcore EU (Europe)" in text
    assert "Every request to Netcore completed" in text
    # Every event, every field, unknown fields with Netcore's names; links as plain text.
    assert "click · message “Spring sale”" in text
    assert "link: https://shop.example.com/sale?id=7" in text
    assert "other: campaign_tag: spring-26" in text
    assert 'other: score: {"a": 1}' in text
    assert "IP address: 192.0.2.10" in text
    # Footer on every page: reference, page X of Y.
    total = len(pages)
    for number, page_text in enumerate(pages, start=1):
        assert f"{case.reference} · page {number} of {total}" in page_text
    # The monthly chart is drawn (its month labels are SVG text).
    assert f"{case.search_from:%b %Y}" in pages[2] + pages[3]


def test_events_are_in_time_order_per_channel_across_parts(tmp_path, settings):
    settings.REPORT_EVENTS_PER_PART = 7
    case = make_collected_case(events=0)
    window = case.windows.get()
    events = make_events(window, 20)
    # Stored out of order: the report still lists them by time.
    ActivityEvent.objects.filter(pk=events[0].pk).update(
        occurred_at=events[-1].occurred_at.replace(year=events[-1].occurred_at.year + 0)
        + (events[-1].occurred_at - events[0].occurred_at)
    )

    render_report(case, tmp_path / "r.pdf", version=1)

    _reader, pages = read(tmp_path / "r.pdf")
    text = "\n".join(pages)
    numbers = [int(n) for n in re.findall(r"^#(\d+) · ", text, flags=re.M)]
    assert numbers == list(range(1, 21))
    times = re.findall(r"^#\d+ · (\S+ \S+) UTC", text, flags=re.M)
    assert times == sorted(times)
    assert "4. Your data: Email (continued)" in text
    total = len(pages)
    assert [f"page {n} of {total}" in p for n, p in enumerate(pages, start=1)] == [True] * total


def test_attachments_hold_the_stored_events_and_the_pdf_declares_pdfa3b(tmp_path):
    case = make_collected_case(events=0)
    make_events(
        case.windows.get(),
        specs=[
            {"message_name": '=HYPERLINK("x")', "extra": {"future_field": [1, 2]}},
            {"activity": "click", "link": "https://example.com/a"},
            {"activity": "bounce", "occurred_at": None},
        ],
    )

    render_report(case, tmp_path / "r.pdf", version=1)

    reader = PdfReader(tmp_path / "r.pdf")
    attachments = reader.attachments
    assert set(attachments) == {f"{case.reference}-events.json", f"{case.reference}-events.csv"}
    data = json.loads(attachments[f"{case.reference}-events.json"][0])
    stored = list(case.events.order_by("channel", "occurred_at", "id"))
    # Undated events come last.
    stored = [e for e in stored if e.occurred_at] + [e for e in stored if not e.occurred_at]
    assert data["case"] == case.reference
    assert data["event_count"] == len(stored) == 3
    for record, event in zip(data["events"], stored, strict=True):
        assert record["raw"] == event.raw
        assert record["activity"] == event.activity
        assert record["message_name"] == event.message_name
        assert record["link"] == event.link
        assert record["occurred_at_utc"] == (
            event.occurred_at.astimezone(UTC).isoformat() if event.occurred_at else None
        )
    rows = list(
        csv.DictReader(io.StringIO(attachments[f"{case.reference}-events.csv"][0].decode()))
    )
    assert len(rows) == 3
    assert rows[0]["message_name"] == '\'=HYPERLINK("x")'  # not run by a spreadsheet
    assert json.loads(rows[0]["other_fields"]) == {"future_field": [1, 2]}

    xmp = reader.xmp_metadata.stream.get_data().decode()
    assert 'pdfaid:part="3"' in xmp and 'pdfaid:conformance="B"' in xmp
    catalog = reader.trailer["/Root"]
    assert len(catalog["/AF"]) == 2
    assert "/OutputIntents" in catalog
    for spec in catalog["/AF"]:
        assert spec.get_object()["/AFRelationship"] == "/Data"


def test_failed_windows_need_acknowledgement_and_the_report_states_the_gap(tmp_path):
    case = make_collected_case(events=3, failed_windows=1)

    with pytest.raises(GapsNotAcknowledged):
        render_report(case, tmp_path / "r.pdf", version=1)

    ack = Acknowledgement(by="Olivia Officer", on=case.received_on)
    render_report(case, tmp_path / "r.pdf", version=1, acknowledgement=ack)
    text = "\n".join(read(tmp_path / "r.pdf")[1])
    assert "This report is incomplete." in text
    assert "Gaps in this report." in text
    assert "1 of 2 requests to Netcore failed" in text
    failed = case.windows.get(status="failed")
    assert f"SMS activity of {case.primary_keys[0]} from {failed.start:%d %b %Y}" in text
    assert "Olivia Officer reviewed these gaps on" in text


def test_a_case_without_events_says_so(tmp_path):
    case = make_collected_case(events=0)
    render_report(case, tmp_path / "r.pdf", version=1)
    text = "\n".join(read(tmp_path / "r.pdf")[1])
    assert "We found no marketing activity" in text
    assert "No email activity was found." in text


def test_worker_processes_render_the_same_report(tmp_path, settings):
    settings.REPORT_EVENTS_PER_PART = 10
    case = make_collected_case(events=35)
    in_process = render_report(case, tmp_path / "a.pdf", version=1, processes=1)
    in_workers = render_report(case, tmp_path / "b.pdf", version=1, processes=2)
    assert in_workers.pages == in_process.pages
    text_a = "\n".join(read(tmp_path / "a.pdf")[1])
    text_b = "\n".join(read(tmp_path / "b.pdf")[1])
    assert text_a == text_b
