"""The report's listing across parts, its gaps, an empty case, and rendering in worker
processes (the layers themselves: test_report_layers.py)."""

import re

import pytest
from pypdf import PdfReader

from cases.models import ActivityEvent
from cases.reports.document import Acknowledgement, GapsNotAcknowledged, render_report
from tests.factories import make_collected_case, make_events

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def one_process(settings):
    # Worker processes are tested once below; in-process rendering keeps the other tests fast.
    settings.REPORT_RENDER_PROCESSES = 1


def read(path):
    reader = PdfReader(path)
    return reader, [page.extract_text() for page in reader.pages]


def test_events_are_in_time_order_per_channel_across_parts(tmp_path, settings):
    settings.REPORT_EVENTS_PER_PART = 7
    case = make_collected_case(events=0)
    window = case.windows.get()
    events = make_events(window, 20)
    # Stored out of order: the report still lists them by time.
    ActivityEvent.objects.filter(pk=events[0].pk).update(
        occurred_at=events[-1].occurred_at + (events[-1].occurred_at - events[0].occurred_at)
    )

    render_report(case, tmp_path / "r.pdf", version=1)

    _reader, pages = read(tmp_path / "r.pdf")
    text = "\n".join(pages)
    annex = text[text.index("5. Every event: Email") :]
    numbers = [int(n) for n in re.findall(r"^#(\d+) ", annex, flags=re.M)]
    assert numbers == list(range(1, 21))
    times = re.findall(r"^#\d+ (\d+ \w+ \d{4} \d\d:\d\d)", annex, flags=re.M)
    assert len(times) == 20
    assert "5. Every event: Email (continued)" in text
    assert "4. Your messages: Email" in text
    total = len(pages)
    assert [f"page {n} of {total}" in p for n, p in enumerate(pages, start=1)] == [True] * total


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
    assert "no record of marketing messages sent to you by email and SMS" in text


def test_worker_processes_render_the_same_report(tmp_path, settings):
    settings.REPORT_EVENTS_PER_PART = 10
    case = make_collected_case(events=35)
    in_process = render_report(case, tmp_path / "a.pdf", version=1, processes=1)
    in_workers = render_report(case, tmp_path / "b.pdf", version=1, processes=2)
    assert in_workers.pages == in_process.pages
    text_a = "\n".join(read(tmp_path / "a.pdf")[1])
    text_b = "\n".join(read(tmp_path / "b.pdf")[1])
    assert text_a == text_b
