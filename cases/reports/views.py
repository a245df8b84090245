"""The report's pages for officers: asking for a version, downloading it and its exports
(audited), the confirmation step and the send, each delivery's page (revoke a link, record how a
passphrase was given); and the report panel of the case page."""

from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from cases import access, form_state
from cases.access import can_download, can_view, can_work
from cases.forms import (
    GenerateReportForm,
    PassphraseHandoffForm,
    RefusalGivenForm,
    SendReportForm,
)
from cases.models import (
    Case,
    Delivery,
    DeliveryChannel,
    DeliveryOutcome,
    OrganisationProfile,
    Report,
    ReportStatus,
)
from cases.services import CaseRuleError
from cases.steps import section_url
from cases.workflow import CaseStatus

from . import delivery, generation, links, mail, refusal
from .integrity import ReportFileAltered, open_report_file

VERSIONS_SHOWN = 20


def report_panel(case: Case) -> dict:
    """What the report panel of the case page shows: versions, their deliveries, generate and
    send (with the reason when sending is not possible now)."""
    reports = list(
        case.reports.select_related("generated_by").prefetch_related("deliveries")[:VERSIONS_SHOWN]
    )
    latest_ready = next((r for r in reports if r.status == ReportStatus.READY), None)
    reportable = case.status in generation.REPORTABLE
    profile = OrganisationProfile.objects.filter(pk=1).first()  # read, never created on a GET
    can_send = latest_ready is not None and case.status in delivery.SENDABLE
    too_large = latest_ready is not None and (
        latest_ready.size > settings.REPORT_MAX_ATTACHMENT_BYTES
    )
    return {
        "reports": reports,
        "latest_ready": latest_ready,
        "superseded": {
            r.pk for r in reports if r.status == ReportStatus.READY and r is not latest_ready
        },
        "generating": any(r.status == ReportStatus.GENERATING for r in reports),
        "can_generate": reportable,
        "gaps": reportable and generation.has_gaps(case),
        "can_send": can_send,
        "send_refusal": delivery.send_refusal(case, latest_ready) if can_send else None,
        "language_warnings": delivery.language_warnings(case, latest_ready) if latest_ready else [],
        "too_large": too_large,
        "attachment_limit": settings.REPORT_MAX_ATTACHMENT_BYTES,
        "default_channel": DeliveryChannel.LINK if too_large else settings.REPORT_DELIVERY_DEFAULT,
        "channels": DeliveryChannel.choices,
        "profile_is_default": profile is None or profile.is_default,
        "passphrase_pending": [
            d for r in reports for d in r.deliveries.all() if d.awaits_passphrase
        ],
    }


@require_POST
@can_work
def report_generate(request: HttpRequest, reference: str) -> HttpResponse:
    case = access.case_or_404(request.user, reference, to_work=True)
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
        # Reports leave the portal: only for those who may work the case (auditors read it).
        Report.objects.select_related("case").filter(access.workable_case_q(user, "case__")),
        case__reference=reference,
        version=version,
        status=ReportStatus.READY,
    )


def _download(request: HttpRequest, report: Report, kind: str, **response) -> HttpResponse:
    """Serve a version's file once its SHA-256 matched the recorded one, and audit the download;
    an altered file is refused (audited, admins told) with the reason on the case page."""
    try:
        file = open_report_file(report=report, kind=kind, actor=request.user, purpose="download")
    except ReportFileAltered as exc:
        messages.error(request, str(exc))
        return redirect(reverse("cases:report", args=[report.case.reference]) + "#report-heading")
    generation.report_record_download(report=report, actor=request.user, kind=kind)
    return FileResponse(file, as_attachment=True, **response)


# GET only: a HEAD (a link checker, a browser's preview) is not a download and is not recorded.
@require_GET
@can_download
def report_pdf(request: HttpRequest, reference: str, version: int) -> HttpResponse:
    """The PDF of one version, to signed-in officers only; every download is audited."""
    found = _ready_report(request.user, reference, version)
    return _download(request, found, "pdf", filename=found.filename, content_type="application/pdf")


@require_GET
@can_download
def report_export(request: HttpRequest, reference: str, version: int, kind: str) -> HttpResponse:
    """The JSON or CSV of the events of one version; audited like the PDF."""
    found = _ready_report(request.user, reference, version)
    if kind not in ("json", "csv"):
        raise Http404
    return _download(
        request,
        found,
        kind,
        filename=f"{found.case.reference}-events-v{found.version}.{kind}",
        content_type="application/json" if kind == "json" else "text/csv; charset=utf-8",
    )


@can_work
def report_send(request: HttpRequest, reference: str, version: int) -> HttpResponse:
    """GET: the confirmation step (what goes, to whom, how). POST: queue the send, then show the
    delivery's page (a redirect: a reload or resubmit sends nothing more)."""
    found = _ready_report(request.user, reference, version)
    case = found.case
    back = reverse("cases:report", args=[case.reference]) + "#report-heading"
    if request.method == "POST":
        form = SendReportForm(request.POST)
        if not form.is_valid():
            for error in [*form.non_field_errors(), *form.errors.get("noted", [])]:
                messages.error(request, error)
            channel = request.POST.get("channel", "")
            query = f"?channel={channel}" if channel in DeliveryChannel.values else ""
            return redirect(reverse("cases:report_send", args=[reference, version]) + query)
        try:
            sent, created = delivery.delivery_request(
                report=found,
                actor=request.user,
                channel=form.cleaned_data["channel"],
                request_token=form.cleaned_data["token"],
                passphrase=form.cleaned_data["passphrase"] or None,
            )
        except delivery.DeliveryRefused as exc:
            messages.error(request, str(exc))
            return redirect(back)
        if created:
            messages.success(request, f"Sending to {sent.recipient}: the outcome shows here.")
        else:
            messages.info(request, "This send was already asked for: nothing more was sent.")
        return redirect(sent_page(sent))
    problem = delivery.send_refusal(case, found)
    if problem:
        messages.error(request, problem)
        return redirect(back)
    requested = request.GET.get("channel", settings.REPORT_DELIVERY_DEFAULT)
    if requested not in DeliveryChannel.values:
        requested = settings.REPORT_DELIVERY_DEFAULT
    channel = delivery.channel_for(found, requested)
    too_large = found.size > settings.REPORT_MAX_ATTACHMENT_BYTES
    # Made for this showing only: the form carries them to the send, nothing keeps them.
    passphrase = delivery.new_passphrase() if channel == DeliveryChannel.ATTACHMENT else ""
    token = delivery.new_request_token()
    form = SendReportForm(initial={"channel": channel, "token": token, "passphrase": passphrase})
    response = render(
        request,
        "report/send_confirm.html",
        {
            "case": case,
            "report": found,
            "form": form,
            "channel": channel,
            "too_large": too_large,
            "passphrase": passphrase,
            "other_channel": None
            if too_large
            else next(c for c in DeliveryChannel if c != channel),
            "link_days": settings.REPORT_LINK_DAYS,
            "code_minutes": links.CODE_MINUTES,
            "attachment_limit": settings.REPORT_MAX_ATTACHMENT_BYTES,
            "sender": mail.sender_of(OrganisationProfile.objects.filter(pk=1).first()),
            "language_warnings": delivery.language_warnings(case, found),
        },
    )
    response["Cache-Control"] = "no-store"
    return response


def sent_page(sent: Delivery) -> str:
    return reverse("cases:delivery", args=[sent.case.reference, sent.pk])


def _delivery(user, reference: str, delivery_id: int) -> Delivery:
    access.check_reference(reference)
    return get_object_or_404(
        Delivery.objects.select_related("case", "report", "sent_by", "revoked_by").filter(
            access.visible_case_q(user, "case__")
        ),
        case__reference=reference,
        pk=delivery_id,
    )


@can_view
def delivery_detail(request: HttpRequest, reference: str, delivery_id: int) -> HttpResponse:
    """One delivery: its state (updating itself while it is under way), the link's use, the
    passphrase hand-off."""
    found = _delivery(request.user, reference, delivery_id)
    return render(
        request,
        "report/delivery.html",
        {
            "case": found.case,
            "delivery": found,
            "under_way": found.outcome in (DeliveryOutcome.PENDING, DeliveryOutcome.SENDING),
            "link_state": found.link_state() if found.is_link else None,
            "accesses": found.accesses.all() if found.is_link else [],
            "handoff_form": PassphraseHandoffForm(
                initial={"given_at": timezone.localtime().replace(second=0, microsecond=0)}
            ),
            "can_work": request.user.has_perm("cases.work_case"),
            "attempts_allowed": settings.REPORT_SEND_ATTEMPTS,
        },
    )


@require_POST
@can_work
def delivery_revoke(request: HttpRequest, reference: str, delivery_id: int) -> HttpResponse:
    found = _delivery(request.user, reference, delivery_id)
    try:
        delivery.link_revoke(delivery=found, actor=request.user)
    except delivery.DeliveryRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "The link was revoked: it no longer opens anything.")
    return redirect(sent_page(found))


@require_POST
@can_work
def delivery_passphrase(request: HttpRequest, reference: str, delivery_id: int) -> HttpResponse:
    found = _delivery(request.user, reference, delivery_id)
    form = PassphraseHandoffForm(request.POST)
    if not form.is_valid():
        for name, errors in form.errors.items():
            label = form.fields[name].label if name in form.fields else ""
            for error in errors:
                messages.error(request, f"{label}: {error}" if label else error)
        return redirect(sent_page(found))
    try:
        delivery.passphrase_record_handoff(
            delivery=found,
            actor=request.user,
            via=form.cleaned_data["via"],
            given_at=form.cleaned_data["given_at"],
        )
    except delivery.DeliveryRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Recorded how the passphrase reached the subject.")
    return redirect(sent_page(found))


# The refusal letter of a rejected request (refusal.py).


@require_GET
@can_download
def refusal_letter_pdf(request: HttpRequest, reference: str) -> HttpResponse:
    """The letter as it would be sent now (a preview before sending, or a draft)."""
    case = access.case_or_404(request.user, reference, to_work=True)
    response = HttpResponse(refusal.letter_pdf(case), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{case.reference}-refusal-letter.pdf"'
    return response


@require_POST
@can_work
def refusal_send(request: HttpRequest, reference: str) -> HttpResponse:
    """Send the refusal letter by download link, once; land on its delivery's page."""
    case = access.case_or_404(request.user, reference, to_work=True)
    back = section_url(case, "overview", "refusal")
    # The refusal card shows its messages; a case without one shows them at the top.
    card = "refusal" if case.status == CaseStatus.REJECTED else ""
    token = request.POST.get("token", "")
    if not token:
        messages.error(request, "The form was incomplete: send it again.", extra_tags=card)
        return redirect(back)
    try:
        sent, new = refusal.refusal_send_request(case=case, actor=request.user, request_token=token)
    except delivery.DeliveryRefused as exc:
        messages.error(request, str(exc), extra_tags=card)
        return redirect(back)
    if new:
        messages.success(
            request, f"Sending the letter to {sent.recipient}: the outcome shows here."
        )
    else:
        messages.info(request, "This send was already asked for: nothing more was sent.")
    return redirect(sent_page(sent))


@require_POST
@can_work
def refusal_given(request: HttpRequest, reference: str) -> HttpResponse:
    """Record that the subject was told of the refusal another way."""
    case = access.case_or_404(request.user, reference, to_work=True)
    if case.status != CaseStatus.REJECTED:
        messages.error(request, "A refusal is recorded once the request is rejected.")
        return redirect(section_url(case, "overview"))
    form = RefusalGivenForm(request.POST)
    key = f"case:{case.pk}:refusal"
    if not form.is_valid():
        form_state.keep(request, key, form)
    else:
        try:
            refusal.refusal_record_given(case=case, actor=request.user, **form.cleaned_data)
        except CaseRuleError as exc:
            form_state.keep(request, key, form, errors=[str(exc)])
        else:
            messages.success(
                request, "Recorded how the subject was told of the refusal.", extra_tags="refusal"
            )
    return redirect(section_url(case, "overview", "refusal"))
