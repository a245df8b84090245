"""Shared pieces for delivery tests: the organisation's real sender address, a verified case with
a ready report (a small real PDF, or one rendered for real), the confirmation step as an officer
sees it, and the emails a subject receives."""

import hashlib
import re
from io import BytesIO

from django.core.files.base import ContentFile
from django.test import Client
from django.urls import reverse
from pypdf import PdfWriter

from cases.models import OrganisationProfile, Report, ReportStatus
from cases.reports import generation
from cases.services import case_change_status, case_verify_identity
from tests.factories import make_collected_case

DPO_EMAIL = "dpo@acme-marketing.co.uk"
CONTROLLER = "Acme Marketing Ltd"


def dpo_profile() -> OrganisationProfile:
    profile = OrganisationProfile.load()
    profile.controller_name, profile.dpo_email = CONTROLLER, DPO_EMAIL
    profile.dpo_contact = f"Data Protection Officer\n{DPO_EMAIL}\n2 Market Street, Leeds LS1 6DT"
    profile.save()
    return profile


def small_pdf(pages: int = 1) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def sendable_case(officer, *, verified: bool = True, email: str = "ana@example.net", **extra):
    """A collected case with a ready version 1 (small files), verified unless told otherwise."""
    dpo_profile()
    case = make_collected_case(
        events=3, actor=officer, subject_name="Ana Lima", subject_email=email, **extra
    )
    if verified:
        case_verify_identity(case=case, actor=officer, method="email_control")
    add_ready_version(case)
    case_change_status(case=case, actor=officer, status="report_ready")
    case.refresh_from_db()
    return case


def add_ready_version(case, *, pdf: bytes | None = None) -> Report:
    version = (case.reports.order_by("-version").values_list("version", flat=True).first() or 0) + 1
    report = Report(case=case, version=version, status=ReportStatus.READY, event_count=3, pages=1)
    pdf = pdf or small_pdf()
    exports = {"json": b'[{"activity": "open"}]', "csv": b"channel,activity\nemail,open\n"}
    report.file.save(report.filename, ContentFile(pdf), save=False)
    report.json_file.save(f"v{version}-events.json", ContentFile(exports["json"]), save=False)
    report.csv_file.save(f"v{version}-events.csv", ContentFile(exports["csv"]), save=False)
    report.size = len(pdf)
    # Recorded as a build records them: the files are served and sent only as they were made.
    report.sha256 = hashlib.sha256(pdf).hexdigest()
    report.json_sha256 = hashlib.sha256(exports["json"]).hexdigest()
    report.csv_sha256 = hashlib.sha256(exports["csv"]).hexdigest()
    report.save()
    return report


def rendered_case(officer, **extra):
    """A verified case whose version 1 is rendered for real (a few seconds)."""
    dpo_profile()
    case = make_collected_case(events=4, actor=officer, subject_name="Ana Lima", **extra)
    case_verify_identity(case=case, actor=officer, method="email_control")
    generation.report_build(generation.report_request(case=case, actor=officer).pk)
    case.refresh_from_db()
    return case


def confirmation(client: Client, case, version: int = 1, channel: str = "link") -> dict:
    """Open the confirmation step; return the form's fields as the browser would post them."""
    url = reverse("cases:report_send", args=[case.reference, version])
    response = client.get(url, {"channel": channel})
    assert response.status_code == 200, response.status_code
    page = response.content.decode()
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', page))
    if 'name="noted"' in page:
        fields["noted"] = "on"
    return {"url": url, "page": page, "data": fields}


def text_and_html(message) -> tuple[str, str]:
    """The plain-text body and the HTML alternative of a received email."""
    plain = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    return plain, html


def link_in(text: str) -> str:
    return re.search(r"https?://\S+/download/[A-Za-z0-9_-]{43}/", text).group(0)


def code_in(text: str) -> str:
    return re.search(r"\b(\d{8})\b", text).group(1)


def report_page(case) -> str:
    """The case page's "Report and delivery" section, where the report panel is."""
    return reverse("cases:report", args=[case.reference])
