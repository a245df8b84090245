"""The report's pages: asking for a version, downloading it and its exports (audited), sending
it to the subject; and the report panel of the case page."""

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from cases import access
from cases.access import can_download, can_work
from cases.forms import GenerateReportForm, SendReportForm
from cases.models import Case, DeliveryOutcome, OrganisationProfile, Report, ReportStatus

from . import delivery, generation

VERSIONS_SHOWN = 20


def report_panel(case: Case) -> dict:
    """What the report panel of the case page shows: versions, downloads, generate and send."""
    reports = list(
        case.reports.select_related("generated_by").prefetch_related("deliveries")[:VERSIONS_SHOWN]
    )
    latest_ready = next((r for r in reports if r.status == ReportStatus.READY), None)
    reportable = case.status in generation.REPORTABLE
    profile = OrganisationProfile.objects.filter(pk=1).first()  # read, never created on a GET
    return {
        "reports": reports,
        "latest_ready": latest_ready,
        "generating": any(r.status == ReportStatus.GENERATING for r in reports),
        "can_generate": reportable,
        "gaps": reportable and generation.has_gaps(case),
        "can_send": latest_ready is not None and case.status in delivery.SENDABLE,
        "profile_is_default": profile is None or profile.is_default,
    }


@require_POST
@can_work
def report_generate(request: HttpRequest, reference: str) -> HttpResponse:
    case = access.case_or_404(request.user, reference)
    form = GenerateReportForm(request.POST)
    form.is_valid()
    try:
        version = generation.report_request(
            case=case,
            actor=request.user,
            acknowledge_gaps=form.cleaned_data.get("acknowledge_gaps", False),
        )
    except generation.ReportError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            f"Report version {version.version} is being generated; it appears below when ready.",
        )
    return redirect(reverse("cases:report", args=[case.reference]) + "#report-heading")


def _ready_report(user, reference: str, version: int) -> Report:
    access.check_reference(reference)
    return get_object_or_404(
        Report.objects.select_related("case").filter(access.visible_case_q(user, "case__")),
        case__reference=reference,
        version=version,
        status=ReportStatus.READY,
    )


@can_download
def report_pdf(request: HttpRequest, reference: str, version: int) -> FileResponse:
    """The PDF of one version, to signed-in officers only; every download is audited."""
    found = _ready_report(request.user, reference, version)
    generation.report_record_download(report=found, actor=request.user, kind="pdf")
    return FileResponse(
        found.file.open("rb"),
        as_attachment=True,
        filename=found.filename,
        content_type="application/pdf",
    )


@can_download
def report_export(request: HttpRequest, reference: str, version: int, kind: str) -> FileResponse:
    """The JSON or CSV of the events of one version; audited like the PDF."""
    found = _ready_report(request.user, reference, version)
    if kind not in ("json", "csv"):
        raise Http404
    generation.report_record_download(report=found, actor=request.user, kind=kind)
    file = found.json_file if kind == "json" else found.csv_file
    return FileResponse(
        file.open("rb"),
        as_attachment=True,
        filename=f"{found.case.reference}-events-v{found.version}.{kind}",
        content_type="application/json" if kind == "json" else "text/csv; charset=utf-8",
    )


@require_POST
@can_work
def report_send(request: HttpRequest, reference: str, version: int) -> HttpResponse:
    found = _ready_report(request.user, reference, version)
    form = SendReportForm(request.POST)
    form.is_valid()
    try:
        sent, passphrase = delivery.report_send(
            report=found, actor=request.user, encrypt=form.cleaned_data.get("encrypt", False)
        )
    except delivery.DeliveryRefused as exc:
        messages.error(request, str(exc))
        return redirect(reverse("cases:report", args=[found.case.reference]) + "#report-heading")
    # Rendered, not redirected: the passphrase is shown this once and stored nowhere.
    response = render(
        request,
        "report/sent.html",
        {"case": found.case, "report": found, "delivery": sent, "passphrase": passphrase},
        status=200 if sent.outcome == DeliveryOutcome.SENT else 502,
    )
    response["Cache-Control"] = "no-store"
    return response
