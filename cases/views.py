"""The case pages: dashboard, list, intake and edit, the case page and its actions."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, F, Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from . import access, services
from .access import can_view, can_work, visible_cases
from .dashboard import (
    ANSWERED_PERIOD_DAYS,
    DUE_SOON_DAYS,
    dashboard_figures,
    filter_by_due,
)
from .forms import (
    ButtonForm,
    CaseFilterForm,
    CaseForm,
    ExtendDeadlineForm,
    NoteForm,
    StatusForm,
    VerifyIdentityForm,
)
from .harvest import planning
from .harvest.progress import harvest_progress
from .models import ActivityEvent, Case
from .reports.views import report_panel
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
        "progress": harvest_progress(case),
        "can_collect": case.status in planning.HARVESTABLE,
        "panel": report_panel(case),
        "events": events,
    }
    return render(request, "cases/case_detail.html", context, status=status)


EVENTS_PER_PAGE = 100


class CountedPaginator(Paginator):
    """A paginator told how many objects there are, instead of asking the database."""

    def __init__(self, object_list, per_page: int, *, count: int) -> None:
        super().__init__(object_list, per_page)
        self.known_count = count

    @property
    def count(self) -> int:
        return self.known_count


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
    # The number shown is known from the counts: the paginator need not count again.
    shown = sum(n for ch, act, n in counts if ch == (channel or ch) and act == (activity or act))
    page = CountedPaginator(events, EVENTS_PER_PAGE, count=shown).get_page(
        request.GET.get("events_page")
    )
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


def _start_harvest(*, case, actor, data):
    windows = planning.harvest_start(case=case, actor=actor)
    return f"Collection started: {len(windows)} windows queued."


def _retry_failed_windows(*, case, actor, data):
    windows = planning.harvest_retry_failed(case=case, actor=actor)
    return f"{len(windows)} failed windows queued again."


harvest_start = _case_action(ButtonForm, "collect_form", _start_harvest)
harvest_retry = _case_action(ButtonForm, "collect_form", _retry_failed_windows)


@can_view
def case_progress(request: HttpRequest, reference: str) -> JsonResponse:
    """Harvest progress for the live panel on the case page."""
    case = access.case_or_404(
        request.user, reference, Case.objects.only("id", "status", "channels")
    )
    progress = harvest_progress(case)
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
                    "failure": w.get_failure_display(),
                    "cause": w.last_error,
                }
                for w in progress.failed
            ],
        }
    )


@can_view
def dashboard(request: HttpRequest) -> HttpResponse:
    # Restricted cases the user may not see are not counted.
    return render(
        request,
        "cases/dashboard.html",
        {
            "figures": dashboard_figures(visible_cases(request.user)),
            "due_soon_days": DUE_SOON_DAYS,
            "answered_days": ANSWERED_PERIOD_DAYS,
        },
    )
