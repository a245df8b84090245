"""The case file on the case page, for officers and auditors: the JSON at once, the PDF prepared
by a worker and downloaded when ready. Downloads are GET only (a HEAD is no download) and each
is recorded in the case's trail."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from cases import access
from cases.access import can_view
from cases.models import Case, PreparedCaseFile, ReportStatus

from .production import (
    CaseFileRefused,
    case_file_json,
    open_prepared_case_file,
    prepare_case_file,
)

PREPARED_SHOWN = 3


def case_file_panel(case: Case) -> list[PreparedCaseFile]:
    """The case's latest prepared PDFs, for the case page."""
    return list(case.prepared_case_files.select_related("requested_by")[:PREPARED_SHOWN])


def _case(request: HttpRequest, reference: str) -> Case:
    if not access.may_take_case_file(request.user):
        raise PermissionDenied
    return access.case_or_404(request.user, reference)


def _back(case: Case):
    return redirect(reverse("cases:trail", args=[case.reference]) + "#case-file-heading")


@require_GET
@can_view
def case_file_json_download(request: HttpRequest, reference: str) -> HttpResponse:
    """The case file as JSON, made now; `?notes=1` includes the internal notes."""
    case = _case(request, reference)
    notes = request.GET.get("notes") == "1"
    data = case_file_json(case=case, actor=request.user, notes=notes, via="case page")
    response = HttpResponse(data, content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="{case.reference}-case-file.json"'
    return response


@require_POST
@can_view
def case_file_prepare(request: HttpRequest, reference: str) -> HttpResponse:
    """Ask a worker to make the case file's PDF (notes included if asked for)."""
    case = _case(request, reference)
    try:
        prepare_case_file(case=case, actor=request.user, notes=request.POST.get("notes") == "1")
    except CaseFileRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "The case file is being prepared; it appears below when ready.")
    return _back(case)


@require_GET
@can_view
def case_file_pdf(request: HttpRequest, reference: str, prepared_id: int) -> HttpResponse:
    case = _case(request, reference)
    prepared = get_object_or_404(
        case.prepared_case_files.select_related("case"), pk=prepared_id, status=ReportStatus.READY
    )
    try:
        file = open_prepared_case_file(prepared=prepared, actor=request.user)
    except CaseFileRefused as exc:
        messages.error(request, str(exc))
        return _back(case)
    return FileResponse(
        file, as_attachment=True, filename=prepared.filename, content_type="application/pdf"
    )
