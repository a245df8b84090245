"""The case pages: dashboard, list, intake and edit, the case page and its actions.

The case page is in sections (overview, data collected, report and delivery, trail, notes), each
its own URL under one head (status, deadline, step bar, next action). Every POST answers with a
redirect to the card it acted on, its message placed there; a form with errors or waiting for
confirmation is kept for that one display (cases/form_state.py)."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, F, Q
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from dsar_portal import clock
from netcore.records import ACTIVITY_WORDS, activity_label

from . import access, form_state, scope, services, trail
from .access import can_download, can_view, can_work, visible_cases
from .audit import audit_append
from .case_file.views import case_file_panel
from .dashboard import (
    ANSWERED_PERIOD_DAYS,
    DUE_SOON_DAYS,
    dashboard_figures,
    dashboard_queues,
    filter_by_due,
    filter_by_queue,
)
from .forms import (
    STATUS_FORMS,
    ButtonForm,
    CaseFilterForm,
    CaseForm,
    ExtendDeadlineForm,
    NoteForm,
    OtherSystemsForm,
    PauseClockForm,
    RefusalGivenForm,
    ResumeClockForm,
    VerifyIdentityForm,
)
from .harvest import planning
from .harvest.progress import harvest_progress
from .models import ActivityEvent, AuditAction, Case, Delivery, DeliveryOutcome, OtherSystem
from .reports.refusal import refusal_state
from .reports.views import report_panel
from .services import CaseRuleError
from .steps import SECTIONS, case_steps, next_action, report_facts, section_url
from .workflow import FINISHED, TRANSITIONS, CaseStatus, TransitionNotAllowed

CASES_PER_PAGE = 50


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
        if filters.cleaned_data["regime"]:
            cases = cases.filter(regime=filters.cleaned_data["regime"])
        cases = filter_by_due(cases, filters.cleaned_data["due"])
        cases = filter_by_queue(cases, filters.cleaned_data["queue"])
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
    if request.method == "POST":
        form = CaseForm(request.POST)
        if form.is_valid():
            case = services.case_create(actor=request.user, **form.cleaned_data)
            messages.success(
                request, f"Case {case.reference} logged; due {clock.format_day(case.due_date)}."
            )
            return redirect(case)
        form_state.keep(request, "case:new", form)
        return redirect("cases:create")
    form, _ = form_state.restore(request, "case:new", CaseForm)
    form = form or CaseForm()
    return render(request, "cases/case_form.html", {"form": form, "title": "Log a request"})


@can_work
def case_edit(request: HttpRequest, reference: str) -> HttpResponse:
    case = access.case_or_404(request.user, reference, to_work=True)
    key = f"case:{case.pk}:edit"
    locked = access.ownership_locked(request.user, case)
    if request.method == "POST":
        form = CaseForm(request.POST, instance=case, locked=locked)
        if form.is_valid():
            changes = {name: form.cleaned_data[name] for name in services.EDITABLE_FIELDS}
            # The form has already copied the values onto `case`; compare against the stored row.
            stored = Case.objects.get(pk=case.pk)
            was_verified = stored.is_verified
            try:
                services.case_update(case=stored, actor=request.user, **changes)
            except CaseRuleError as exc:
                form_state.keep(request, key, form, errors=[str(exc)])
            else:
                messages.success(request, "Changes saved.", extra_tags="request")
                if was_verified and not stored.is_verified:
                    messages.warning(
                        request,
                        "The subject's details changed after their identity was verified, so "
                        "the verification no longer holds. Verify their identity again: until "
                        "then no report can be sent.",
                        extra_tags="identity",
                    )
                return redirect(section_url(stored, "overview", "request"))
        else:
            form_state.keep(request, key, form)
        return redirect("cases:edit", reference=case.reference)
    form, _ = form_state.restore(request, key, CaseForm, instance=case, locked=locked)
    form = form or CaseForm(instance=case, locked=locked)
    return render(
        request, "cases/case_form.html", {"form": form, "case": case, "title": f"Edit {reference}"}
    )


def _kept_form(request: HttpRequest, case: Case, name: str, form_class, **kwargs):
    """The form `name` of the case page as kept after its POST, else a fresh one; and whether it
    waits for confirmation."""
    form, confirm = form_state.restore(request, f"case:{case.pk}:{name}", form_class)
    return (form or form_class(**kwargs)), confirm


def _placed_messages(request: HttpRequest) -> dict[str, list]:
    """The messages to show, by the card they belong to ("page" for the top of the section):
    after an action, its message stands beside what was acted on."""
    placed: dict[str, list] = {}
    for message in messages.get_messages(request):
        placed.setdefault(message.extra_tags or "page", []).append(message)
    return placed


def _case_page(
    request: HttpRequest, case: Case, section: str, template: str, context: dict
) -> HttpResponse:
    """A section of the case page: the head (status, deadline, step bar, next action, the
    sections' tabs) around the section's own content."""
    has_ready_report, generating = report_facts(case)
    progress = harvest_progress(case, failed_page=request.GET.get("failed_page", 1))
    can_work = access.may_work(request.user, case)
    sections = [
        {
            "key": key,
            "title": title,
            "url": reverse(url_name, args=[case.reference]),
            "current": key == section,
        }
        for key, (url_name, title) in SECTIONS.items()
    ]
    page = {
        "case": case,
        "section": section,
        "section_title": SECTIONS[section][1],
        "sections": sections,
        "steps": case_steps(case, has_ready_report=has_ready_report),
        "next": next_action(
            case,
            has_ready_report=has_ready_report,
            generating=generating,
            has_windows=bool(progress.total),
        ),
        "progress": progress,
        "can_work": can_work,
        "placed": _placed_messages(request),
        "notes_count": case.notes.count(),
        "passphrase_pending": Delivery.objects.filter(
            case=case, encrypted=True, outcome=DeliveryOutcome.SENT, passphrase_given_at=None
        ).exists(),
        **context,
    }
    return render(request, template, page)


def _load(request: HttpRequest, reference: str) -> Case:
    return access.case_or_404(
        request.user, reference, Case.objects.select_related("assigned_officer", "verified_by")
    )


@can_view
def case_detail(request: HttpRequest, reference: str) -> HttpResponse:
    """The overview: the request, identity, deadline and status, with their actions."""
    case = _load(request, reference)
    verify_form, _ = _kept_form(
        request,
        case,
        "verify",
        VerifyIdentityForm,
        initial={"method": case.verification_method, "notes": case.verification_notes},
    )
    extend_form, _ = _kept_form(request, case, "extend", ExtendDeadlineForm)
    pause_form, _ = _kept_form(request, case, "pause", PauseClockForm)
    resume_form, _ = _kept_form(request, case, "resume", ResumeClockForm)
    status_forms, confirming = [], None
    for status, form_class in STATUS_FORMS.items():
        if status not in TRANSITIONS[case.status]:
            continue  # only the moves this status allows are offered
        form, confirm = _kept_form(request, case, f"status_{status}", form_class)
        status_forms.append(form)
        if confirm:
            confirming = form
    finishing_entry = None
    if case.is_finished:
        entry = (
            case.audit_entries.filter(action=AuditAction.STATUS_CHANGED, details__to=case.status)
            .select_related("actor")
            .order_by("-sequence")
            .first()
        )
        finishing_entry = trail.describe(entry) if entry else None
    refusal = refusal_form = None
    if case.status == CaseStatus.REJECTED:
        refusal = refusal_state(case)
        refusal["given"] = [trail.describe(entry) for entry in refusal["given"]]
        refusal_form, _ = _kept_form(
            request, case, "refusal", RefusalGivenForm, initial={"given_on": timezone.localdate()}
        )
    today = timezone.localdate()
    return _case_page(
        request,
        case,
        "overview",
        "cases/case_overview.html",
        {
            "refusal": refusal,
            "refusal_form": refusal_form,
            "verify_form": verify_form,
            "extend_form": extend_form,
            "pause_form": pause_form,
            "resume_form": resume_form,
            # The regime allows one, the clock runs, and the first deadline has not passed.
            "can_extend": not case.is_finished
            and not case.is_extended
            and case.regime_rules.extension
            and not case.clock_paused_on
            and today <= case.original_due_date,
            "status_forms": status_forms,
            "confirming": confirming,
            "finishing_entry": finishing_entry,
        },
    )


@can_view
def case_data(request: HttpRequest, reference: str) -> HttpResponse:
    """Data collected: the collection's progress and the subject's events (each showing of the
    events is audited, before the page is drawn)."""
    case = _load(request, reference)
    events = _events_listing(request, case)
    access.record_events_view(
        case=case,
        actor=request.user,
        details={
            "page": events["page"].number,
            "channel": events["channel"],
            "activity": events["activity"],
        },
    )
    collect_form, _ = _kept_form(request, case, "collect", ButtonForm)
    return _case_page(
        request,
        case,
        "data",
        "cases/case_data.html",
        {
            "events": events,
            "collect_form": collect_form,
            "can_collect": case.status in planning.HARVESTABLE,
        },
    )


@can_view
def case_report(request: HttpRequest, reference: str) -> HttpResponse:
    """Report and delivery: the report panel."""
    case = _load(request, reference)
    systems_form, _ = form_state.restore(
        request, f"case:{case.pk}:systems", OtherSystemsForm, **_other_systems(case)
    )
    return _case_page(
        request,
        case,
        "report",
        "cases/case_report.html",
        {
            "panel": report_panel(case),
            "systems_form": systems_form or OtherSystemsForm(**_other_systems(case)),
        },
    )


TRAIL_PER_PAGE = 100


@can_view
def case_trail(request: HttpRequest, reference: str) -> HttpResponse:
    """The trail in sentences, newest first; views and downloads hidden unless asked for."""
    case = _load(request, reference)
    show_access = request.GET.get("views") == "shown"
    entries = case.audit_entries.select_related("actor", "values_row").order_by("-sequence")
    access_count = entries.filter(action__in=trail.ACCESS_ACTIONS).count()
    if not show_access:
        entries = entries.filter(trail.changes_only())
    page = Paginator(entries, TRAIL_PER_PAGE).get_page(request.GET.get("page"))
    return _case_page(
        request,
        case,
        "trail",
        "cases/case_trail.html",
        {
            "lines": [trail.describe(entry) for entry in page.object_list],
            "case_files": case_file_panel(case),
            "page": page,
            "show_access": show_access,
            "access_count": access_count,
            "query": "views=shown" if show_access else "",
            "zone": clock.zone_name(),
        },
    )


@can_download
def case_trail_csv(request: HttpRequest, reference: str) -> StreamingHttpResponse:
    """The whole trail as CSV, every entry with its sentence and labelled details; the download
    is itself an entry of the trail (written first, so the file includes it)."""
    case = access.case_or_404(request.user, reference)
    audit_append(
        case=case,
        actor=request.user,
        action=AuditAction.TRAIL_DOWNLOADED,
        details={"entries": case.audit_length + 1},
    )
    entries = case.audit_entries.select_related("actor", "values_row").order_by("sequence")
    response = StreamingHttpResponse(
        trail.csv_lines(entries.iterator(chunk_size=500)), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{case.reference}-trail.csv"'
    return response


@can_view
def case_notes(request: HttpRequest, reference: str) -> HttpResponse:
    case = _load(request, reference)
    note_form, _ = _kept_form(request, case, "note", NoteForm)
    return _case_page(
        request,
        case,
        "notes",
        "cases/case_notes.html",
        {"notes": case.notes.select_related("author"), "note_form": note_form},
    )


EVENTS_PER_PAGE = 100


class CountedPaginator(Paginator):
    """A paginator told how many objects there are, instead of asking the database."""

    def __init__(self, object_list, per_page: int, *, count: int) -> None:
        super().__init__(object_list, per_page, allow_empty_first_page=True)
        self.known_count = count

    @property
    def count(self) -> int:
        return self.known_count


def _events_listing(request: HttpRequest, case: Case) -> dict:
    """The subject's events in time order, filtered by channel and activity, one page of them;
    the counts follow the filter."""
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
    shown = [
        (ch, a, n)
        for ch, a, n in counts
        if (not channel or ch == channel) and (not activity or a == activity)
    ]
    # The number shown is known from the counts: the paginator need not count again.
    matching = sum(n for _ch, _a, n in shown)
    page = CountedPaginator(events, EVENTS_PER_PAGE, count=matching).get_page(
        request.GET.get("events_page")
    )
    per_channel: dict[str, int] = {}
    for ch, _activity, n in counts:
        per_channel[ch] = per_channel.get(ch, 0) + n
    query = request.GET.copy()
    query.pop("events_page", None)
    activities = sorted({a for _ch, a, _n in counts})
    return {
        "page": page,
        "counts": [(ch, a, activity_label(a), n) for ch, a, n in shown],
        "per_channel": per_channel,
        "total": sum(per_channel.values()),
        "matching": matching,
        "filtered": bool(channel or activity),
        "activities": [(a, activity_label(a)) for a in activities],
        "glossary": [
            (a, ACTIVITY_WORDS[a.lower()]) for a in activities if a.lower() in ACTIVITY_WORDS
        ],
        "channel": channel,
        "activity": activity,
        "query": query.urlencode(),
    }


def _case_action(form_class, name: str, action, *, section: str, card: str):
    """A POST-only view of the case page: validate `form_class`, run `action`, and always
    redirect to the card acted on, with the message beside it; a form with errors is kept for
    that one display (cases/form_state.py)."""

    @require_POST
    @can_work
    def view(request: HttpRequest, reference: str) -> HttpResponse:
        case = access.case_or_404(request.user, reference, to_work=True)
        form = form_class(request.POST)
        key = f"case:{case.pk}:{name}"
        if form.is_valid():
            try:
                message = action(case=case, actor=request.user, data=form.cleaned_data)
            except (CaseRuleError, TransitionNotAllowed) as exc:
                form_state.keep(request, key, form, errors=[str(exc)])
            else:
                messages.success(request, message, extra_tags=card)
        else:
            form_state.keep(request, key, form)
        return redirect(section_url(case, section, card))

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
    return f"Deadline extended to {clock.format_day(case.due_date)}."


def _pause_clock(*, case, actor, data):
    services.case_pause_clock(
        case=case, actor=actor, asked_on=data["asked_on"], question=data["question"]
    )
    return "Clock stopped until the subject's answer arrives."


def _resume_clock(*, case, actor, data):
    services.case_resume_clock(case=case, actor=actor, answered_on=data["answered_on"])
    return f"Clock restarted; due {clock.format_day(case.due_date)}."


def _add_note(*, case, actor, data):
    services.case_add_note(case=case, actor=actor, text=data["text"])
    return "Note added."


case_verify = _case_action(
    VerifyIdentityForm, "verify", _verify, section="overview", card="identity"
)
case_extend = _case_action(
    ExtendDeadlineForm, "extend", _extend, section="overview", card="deadline"
)
case_pause_clock = _case_action(
    PauseClockForm, "pause", _pause_clock, section="overview", card="deadline"
)
case_resume_clock = _case_action(
    ResumeClockForm, "resume", _resume_clock, section="overview", card="deadline"
)
case_note = _case_action(NoteForm, "note", _add_note, section="notes", card="note")


def _start_harvest(*, case, actor, data):
    windows = planning.harvest_start(case=case, actor=actor)
    return f"Collection started: {len(windows)} windows queued."


def _retry_failed_windows(*, case, actor, data):
    windows = planning.harvest_retry_failed(case=case, actor=actor)
    return f"{len(windows)} failed windows queued again."


harvest_start = _case_action(
    ButtonForm, "collect", _start_harvest, section="data", card="collection"
)
harvest_retry = _case_action(
    ButtonForm, "collect", _retry_failed_windows, section="data", card="collection"
)


@require_POST
@can_work
def case_status(request: HttpRequest, reference: str) -> HttpResponse:
    """Reject, record a withdrawal or close: each has its own form, and nothing changes until
    the officer confirms on the page the first POST redirects to."""
    case = access.case_or_404(request.user, reference, to_work=True)
    target = section_url(case, "overview", "status")
    form_class = STATUS_FORMS.get(request.POST.get("status", ""))
    if form_class is None:
        messages.error(request, "Choose what to do with the case.", extra_tags="status")
        return redirect(target)
    form = form_class(request.POST)
    key = f"case:{case.pk}:status_{form_class.target.value}"
    if not form.is_valid():
        form_state.keep(request, key, form)
    elif not form.cleaned_data["confirmed"]:
        form_state.keep(request, key, form, confirm=True)
    else:
        try:
            services.case_change_status(
                case=case,
                actor=request.user,
                status=form.target,
                reason=form.cleaned_data.get("reason", ""),
                **form.audit_details(),
            )
        except (CaseRuleError, TransitionNotAllowed) as exc:
            form_state.keep(request, key, form, errors=[str(exc)])
        else:
            label = CaseStatus(case.status).label.lower()
            if case.status == CaseStatus.REJECTED:
                messages.success(
                    request,
                    "The case is now rejected. Now tell the subject why: send the letter, or "
                    "record how they were told.",
                    extra_tags="refusal",
                )
                return redirect(section_url(case, "overview", "refusal"))
            messages.success(request, f"The case is now {label}.", extra_tags="status")
    return redirect(target)


@can_view
def case_progress(request: HttpRequest, reference: str) -> JsonResponse:
    """Harvest progress for the live panel on the case page."""
    case = access.case_or_404(
        request.user, reference, Case.objects.only("id", "status", "channels")
    )
    progress = harvest_progress(case, failed_page=request.GET.get("failed_page", 1))
    admin = access.is_admin(request.user)
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
            "failed_count": progress.failed_count,
            "failed_page": progress.failed_page,
            "failed_pages": progress.failed_pages,
            "failed": [
                {
                    "window": w.pk,
                    "channel": w.get_channel_display(),
                    "start": clock.format_day(w.start),
                    "end": clock.format_day(w.end),
                    "account": w.account.name,
                    "failure": w.get_failure_display(),
                    "next_step": w.next_step,
                    # The raw cause is for admins only.
                    **({"detail": w.last_error} if admin else {}),
                }
                for w in progress.failed
            ],
        }
    )


@can_view
def dashboard(request: HttpRequest) -> HttpResponse:
    """The work queues, for the user's own cases or everyone's, and the team's figures."""
    # Restricted cases the user may not see are neither listed nor counted.
    cases = visible_cases(request.user)
    works = request.user.has_perm("cases.work_case")
    scope = request.GET.get("scope") or ("mine" if works else "all")
    scope = scope if scope in ("mine", "all") else "all"
    queued = cases.filter(assigned_officer=request.user) if scope == "mine" else cases
    return render(
        request,
        "cases/dashboard.html",
        {
            "queues": dashboard_queues(
                queued.select_related("assigned_officer"),
                officer=request.user if scope == "mine" else None,
            ),
            "scope": scope,
            "figures": dashboard_figures(cases),
            "due_soon_days": DUE_SOON_DAYS,
            "answered_days": ANSWERED_PERIOD_DAYS,
        },
    )


def _other_systems(case: Case) -> dict:
    """What the other-systems form needs: each active system of the organisation and this case's
    outcomes (the report needs one for every system)."""
    return {
        "systems": OtherSystem.objects.filter(active=True),
        "checks": {c.system_id: c for c in case.system_checks.all()},
    }


@require_POST
@can_work
def case_other_systems(request: HttpRequest, reference: str) -> HttpResponse:
    case = access.case_or_404(request.user, reference, to_work=True)
    form = OtherSystemsForm(request.POST, **_other_systems(case))
    key = f"case:{case.pk}:systems"
    if form.is_valid():
        try:
            scope.case_record_other_systems(case=case, actor=request.user, outcomes=form.outcomes())
        except CaseRuleError as exc:
            form_state.keep(request, key, form, errors=[str(exc)])
        else:
            messages.success(request, "Other systems recorded.", extra_tags="systems")
    else:
        form_state.keep(request, key, form)
    return redirect(section_url(case, "report", "other-systems"))
