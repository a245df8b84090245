"""A version is built once: the worker claims it first (compare-and-set), so a task delivered
twice does nothing, and a stale twin that finishes after a newer claim records nothing."""

from datetime import timedelta

import pytest
from django.utils import timezone

from cases.models import AuditEntry, Report, ReportStatus
from cases.reports import generation
from tests.factories import make_collected_case

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_storage")]


@pytest.fixture(autouse=True)
def one_process(settings):
    settings.REPORT_RENDER_PROCESSES = 1


def generated_entries(case) -> int:
    return AuditEntry.objects.filter(case=case, action="report_generated").count()


def test_a_redelivered_task_does_nothing(officer):
    case = make_collected_case(events=3, actor=officer)
    requested = generation.report_request(case=case, actor=officer)

    first = generation.report_build(requested.pk)
    again = generation.report_build(requested.pk)

    assert first.status == ReportStatus.READY
    assert again is None
    assert generated_entries(case) == 1
    assert Report.objects.get(pk=requested.pk).build_attempts == 1


def test_a_version_held_by_a_live_worker_is_not_taken(officer):
    case = make_collected_case(events=3, actor=officer)
    requested = generation.report_request(case=case, actor=officer)
    assert generation.claim_report(requested.pk) is not None  # a worker is building it

    assert generation.report_build(requested.pk) is None
    assert Report.objects.get(pk=requested.pk).status == ReportStatus.GENERATING


def test_a_stale_twin_records_nothing(officer, monkeypatch, private_storage):
    """The first worker stalls past the stale time; a second claims and builds the version; the
    first then finishes its render and must neither record nor keep its files."""
    case = make_collected_case(events=3, actor=officer)
    requested = generation.report_request(case=case, actor=officer)
    real_render = generation.render_report
    calls = []

    def render_then_lose_the_claim(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            Report.objects.filter(pk=requested.pk).update(
                build_started_at=timezone.now() - timedelta(days=1)
            )
            assert generation.report_build(requested.pk).status == ReportStatus.READY
        return real_render(*args, **kwargs)

    monkeypatch.setattr(generation, "render_report", render_then_lose_the_claim)

    assert generation.report_build(requested.pk) is None

    made = Report.objects.get(pk=requested.pk)
    assert made.status == ReportStatus.READY and made.build_attempts == 2
    assert generated_entries(case) == 1
    files = sorted(p.name for p in (private_storage / "reports" / case.reference).iterdir())
    recorded = (made.file.name, made.json_file.name, made.csv_file.name)
    assert files == sorted(name.rsplit("/", 1)[-1] for name in recorded)
