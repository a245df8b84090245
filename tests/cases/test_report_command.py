"""`manage.py render_report REF --output FILE.pdf`: renders now, prints SHA-256 and pages."""

import hashlib

import pytest
from django.core.management import CommandError, call_command
from pypdf import PdfReader

from cases.models import Report
from tests.factories import make_collected_case

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def one_process(settings):
    settings.REPORT_RENDER_PROCESSES = 1


def test_renders_and_prints_sha256_and_page_count(tmp_path, capsys):
    case = make_collected_case(events=12)
    out = tmp_path / "report.pdf"

    call_command("render_report", case.reference, "--output", str(out))

    printed = capsys.readouterr().out
    assert f"sha256 {hashlib.sha256(out.read_bytes()).hexdigest()}" in printed
    assert f"pages {len(PdfReader(out).pages)}" in printed
    assert "events 12" in printed
    assert not Report.objects.exists()  # a preview: no version recorded


def test_unknown_case_and_unacknowledged_gaps_are_refused(tmp_path):
    with pytest.raises(CommandError, match="No case DSAR-1999-0001"):
        call_command("render_report", "DSAR-1999-0001", "--output", str(tmp_path / "x.pdf"))

    case = make_collected_case(events=2, failed_windows=1)
    with pytest.raises(CommandError, match="acknowledgement"):
        call_command("render_report", case.reference, "--output", str(tmp_path / "x.pdf"))
    call_command(
        "render_report", case.reference, "--output", str(tmp_path / "x.pdf"), "--acknowledge-gaps"
    )
    assert "Gaps in this report" in "".join(
        p.extract_text() for p in PdfReader(tmp_path / "x.pdf").pages
    )
