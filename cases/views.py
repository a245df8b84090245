from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, F, Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from . import access, harvest, report, services
from . import delivery as report_delivery
from .access import can_download, can_view, can_work
from .dashboard import filter_by_due
from .forms import (
    ButtonForm,
    CaseFilterForm,
    CaseForm,
    ExtendDeadlineForm,
    NoteForm,
    StatusForm,
    VerifyIdentityForm,
)
from .models import ActivityEvent, Case, DeliveryOutcome, Report, ReportStatus
from .services import CaseRuleError
from .workflow import FINISHED, TRANSITIONS, CaseStatus, TransitionNotAllowed

CASES_PER_PAGE = 50
AUDIT_ENTRIES_SHOWN = 200


@can_view
def case_list(request: HttpRequest) -> HttpResponse:
    filters = CaseFilterForm(request.GET or None)
    # Restricted cases the user may not see are left out of the list, the counts and search.
    cases = access.visible_cases(request.user).select_related("assigned_officer")
    if filters.is_valid():
        q = filters.cleaned_data["q"].strip()
        if q:
            cases = cases.filter(
                Q(reference__icontains=q)
                | Q(subject_name__icontains=q)
                | Q(subject_email__icontains=q)
                | Q(primary_keys__icontains=q)
            )
        status = filters.cleaned_data["status"]
        if status == "open":
            cases = cases.exclude(status__in=FINISHED)
        elif status:
            cases = cases.filter(status=status)
        if filters.cleaned_data["officer"]:
            cases = cases.filter(assigned_officer=filters.cleaned_data["officer"])
        cases = filter_by_due(cases, filters.cleaned_data["due"])
    counts = dict(
        access.visible_cases(request.user)
        .order_by()
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    status_counts = [(s, counts.get(s.value, 0)) for s in CaseStatus]
    page = Paginator(cases.order_by("due_date", "reference"), CASES_PER_PAGE).get_page(
        request.GET.get("page")
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "cases/case_list.html",
        {
            "filters": filters,
            "page": page,
            "status_counts": status_counts,
            "total": sum(counts.values()),
            "query": query.urlencode(),
        },
    )


@can_work
def case_create(request: HttpRequest) -> HttpResponse:
    form = CaseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        case = services.case_create(actor=request.user, **form.cleaned_data)
        messages.success(request, f"Case {case.reference} logged; due {case.due_date:%d %b %Y}.")
        return redirect(case)
    return render(request, "cases/case_form.html", {"form": form, "title": "Log a request"})


@can_work
def case_edit(request: HttpRequest, reference: str) -> HttpResponse:
    case = access.case_or_404(request.user, reference)
    form = CaseForm(request.POST or None, instance=case)
    if request.method == "POST" and form.is_valid():
        changes = {name: form.cleaned_data[name] for name in services.EDITABLE_FIELDS}
        # The form has already copied the values onto `case`; compare against the stored row.
        stored = Case.objects.get(pk=case.pk)
        try:
            services.case_update(case=stored, actor=request.user, **changes)
        except CaseRuleError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Changes saved.")
            return redirect(stored)
    return render(
        request, "cases/case_form.html", {"form": form, "case": case, "title": f"Edit {reference}"}
    )


def _render_detail(request: HttpRequest, case: Case, status: int = 200, **forms) -> HttpResponse:
    events = _events_listing(request, case)
    # The page shows the subject's events: each showing is audited (before the trail is read, so
    # the page includes its own entry).
    access.record_events_view(
        case=case,
        actor=request.user,
        details={
            "page": events["page"].number,
            "channel": events["channel"],
            "activity": events["activity"],
        },
    )
    entries = case.audit_entries.order_by("-sequence")[:AUDIT_ENTRIES_SHOWN]
    context = {
        "case": case,
        "verify_form": forms.get("verify_form")
        or VerifyIdentityForm(
            initial={"method": case.verification_method, "notes": case.verification_notes}
        ),
        "extend_form": forms.get("extend_form") or ExtendDeadlineForm(),
        "status_form": forms.get("status_form") or StatusForm(),
        "note_form": forms.get("note_form") or NoteForm(),
        "collect_form": forms.get("collect_form"),
        "manual_statuses": [
            s for s in StatusForm.base_fields["status"].choices if s[0] in TRANSITIONS[case.status]
        ],
        "notes": case.notes.select_related("author"),
        "audit_entries": entries,
        "audit_hidden": max(case.audit_length - AUDIT_ENTRIES_SHOWN, 0),
        "can_work": request.user.has_perm("cases.work_case"),
        "progress": harvest.harvest_progress(case),
        "can_collect": case.status in harvest.COLLECTABLE,
        "events": events,
    }
    return render(request, "cases/case_detail.html", context, status=status)


EVENTS_PER_PAGE = 100


def _events_listing(request: HttpRequest, case: Case) -> dict:
    """The subject's events in time order, filtered by channel and activity, one page of them."""
    counts = list(
        case.events.order_by("channel", "activity")
        .values_list("channel", "activity")
        .annotate(n=Count("id"))
    )
    # NUL cannot be stored, so no event has it (and PostgreSQL refuses it in a query).
    channel = request.GET.get("channel", "").replace("\x00", "")
    activity = request.GET.get("activity", "").replace("\x00", "")
    events = case.events.all()
    if channel:
        events = events.filter(channel=channel)
    if activity:
        events = events.filter(activity=activity)
    # `case` is listed so the related manager does not fetch it row by row.
    events = events.order_by(F("occurred_at").asc(nulls_last=True), "id").only(
        "case", "channel", *ActivityEvent.NETCORE_FIELDS
    )
    page = Paginator(events, EVENTS_PER_PAGE).get_page(request.GET.get("events_page"))
    per_channel: dict[str, int] = {}
    for ch, _activity, n in counts:
        per_channel[ch] = per_channel.get(ch, 0) + n
    query = request.GET.copy()
    query.pop("events_page", None)
    return {
        "page": page,
        "counts": counts,
        "per_channel": per_channel,
        "total": sum(per_channel.values()),
        "activities": sorted({a for _ch, a, _n in counts}),
        "channel": channel,
        "activity": activity,
        "query": query.urlencode(),
    }


@can_view
def case_detail(request: HttpRequest, reference: str) -> HttpResponse:
    case = access.case_or_404(
        request.user,
        reference,
        Case.objects.select_related("assigned_officer", "verified_by"),
    )
    return _render_detail(request, case)


def _case_action(form_class, form_name: str, action):
    """A POST-only view: validate `form_class`, run `action`, report rule errors on the page."""

    @require_POST
    @can_work
    def view(request: HttpRequest, reference: str) -> HttpResponse:
        case = access.case_or_404(request.user, reference)
        form = form_class(request.POST)
        if form.is_valid():
            try:
                message = action(case=case, actor=request.user, data=form.cleaned_data)
            except (CaseRuleError, TransitionNotAllowed) as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, message)
                return redirect(case)
        return _render_detail(request, case, status=400, **{form_name: form})

    return view


def _verify(*, case, actor, data):
    services.case_verify_identity(
        case=case, actor=actor, method=data["method"], notes=data["notes"]
    )
    return "Identity verification recorded."


def _extend(*, case, actor, data):
    services.case_extend_deadline(
        case=case, actor=actor, reason=data["reason"], subject_told_on=data["subject_told_on"]
    )
    return f"Deadline extended to {case.due_date:%d %b %Y}."


def _change_status(*, case, actor, data):
    services.case_change_status(
        case=case, actor=actor, status=data["status"], reason=data["reason"]
    )
    return f"Case is now {CaseStatus(case.status).label.lower()}."


def _add_note(*, case, actor, data):
    services.case_add_note(case=case, actor=actor, text=data["text"])
    return "Note added."


case_verify = _case_action(VerifyIdentityForm, "verify_form", _verify)
case_extend = _case_action(ExtendDeadlineForm, "extend_form", _extend)
case_status = _case_action(StatusForm, "status_form", _change_status)
case_note = _case_action(NoteForm, "note_form", _add_note)


def _start_collection(*, case, actor, data):
    windows = harvest.harvest_start(case=case, actor=actor)
    return f"Collection started: {len(windows)} windows queued."


def _retry_failed(*, case, actor, data):
    windows = harvest.harvest_retry_failed(case=case, actor=actor)
    return f"{len(windows)} failed windows queued again."


case_collect = _case_action(ButtonForm, "collect_form", _start_collection)
case_retry_failed = _case_action(ButtonForm, "collect_form", _retry_failed)


@can_view
def case_progress(request: HttpRequest, reference: str) -> JsonResponse:
    """Harvest progress for the live panel on the case page."""
    case = access.case_or_404(
        request.user, reference, Case.objects.only("id", "status", "channels")
    )
    progress = harvest.harvest_progress(case)
    return JsonResponse(
        {
            "status": case.status,
            "status_label": case.get_status_display(),
            "collecting": case.status == CaseStatus.COLLECTING,
            "total": progress.total,
            "done": progress.done,
            "finished": progress.finished,
            "percent": progress.percent,
            "events_per_channel": progress.events_per_channel,
            "failed": [
                {
                    "window": w.pk,
                    "channel": w.get_channel_display(),
                    "start": w.start.isoformat(),
                    "end": w.end.isoformat(),
                    "account": w.account.name,
                    "cause": w.last_error,
                }
                for w in progress.failed
            ],
        }
    )


# Reports: generate, download (audited), send to the subject.


class GenerateReportForm(forms.Form):
    acknowledge_gaps = forms.BooleanField(
        required=False,
        label="Send the report with the gaps stated in it",
        help_text="Part of the data could not be collected; the report will say which.",
    )


class SendReportForm(forms.Form):
    encrypt = forms.BooleanField(
        required=False,
        label="Encrypt the PDF with a passphrase (AES-256)",
        help_text="The passphrase is shown once, here, to be given to the subject another way.",
    )


@require_POST
@can_work
def report_generate(request: HttpRequest, reference: str) -> HttpResponse:
    case = access.case_or_404(request.user, reference)
    form = GenerateReportForm(request.POST)
    form.is_valid()
    try:
        version = report.report_request(
            case=case,
            actor=request.user,
            acknowledge_gaps=form.cleaned_data.get("acknowledge_gaps", False),
        )
    except report.ReportError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            f"Report version {version.version} is being generated; it appears below when ready.",
        )
    return redirect(f"{case.get_absolute_url()}#report-heading")


def _ready_report(user, reference: str, version: int) -> Report:
    access.check_reference(reference)
    return get_object_or_404(
        Report.objects.select_related("case").filter(access.visible_case_q(user, "case__")),
        case__reference=reference,
        version=version,
        status=ReportStatus.READY,
    )


@can_download
def report_download(request: HttpRequest, reference: str, version: int) -> FileResponse:
    """The PDF of one version, to signed-in officers only; every download is audited."""
    found = _ready_report(request.user, reference, version)
    report.report_record_download(report=found, actor=request.user, kind="pdf")
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
    report.report_record_download(report=found, actor=request.user, kind=kind)
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
        delivery, passphrase = report_delivery.report_send(
            report=found, actor=request.user, encrypt=form.cleaned_data.get("encrypt", False)
        )
    except report_delivery.DeliveryRefused as exc:
        messages.error(request, str(exc))
        return redirect(f"{found.case.get_absolute_url()}#report-heading")
    # Rendered, not redirected: the passphrase is shown this once and stored nowhere.
    response = render(
        request,
        "report/sent.html",
        {"case": found.case, "report": found, "delivery": delivery, "passphrase": passphrase},
        status=200 if delivery.outcome == DeliveryOutcome.SENT else 502,
    )
    response["Cache-Control"] = "no-store"
    return response
