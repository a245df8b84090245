"""The Art. 15 access report: what it says, and making a version of it.

`report_request` checks that a case can be reported, records a new version as "generating" and
queues `report_generate`, which renders the PDF (with the JSON and CSV exports embedded), stores
the files privately, audits the result and moves the case to "report ready". `render_report` is
the rendering alone, used by both and by `manage.py render_report`.
"""

import hashlib
import json
import logging
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from itertools import groupby
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.db.models import Count, F, Max, Min
from django.db.models.functions import TruncMonth
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import mark_safe

from netcore.models import Region

from .audit import audit_append
from .exports import ExportWriter, other_fields
from .models import (
    ActivityEvent,
    AuditAction,
    Case,
    Channel,
    HarvestWindow,
    OrganisationProfile,
    Report,
    ReportStatus,
    WindowStatus,
)
from .report_chart import monthly_chart_svg, months_between
from .report_render import FileAttachment, Part, PartRenderer, RenderedPart, join_parts
from .services import CaseRuleError, case_change_status
from .workflow import CaseStatus, TransitionNotAllowed

logger = logging.getLogger(__name__)

STYLESHEETS = ["report/report.css"]
GENERATING_STALE_AFTER_SECONDS = 3600
# Statuses in which a report may be generated: the data is collected (or as far as it could be).
REPORTABLE = frozenset(
    {
        CaseStatus.COLLECTED,
        CaseStatus.COLLECTION_INCOMPLETE,
        CaseStatus.REPORT_READY,
        CaseStatus.SENT,
    }
)
EVENT_FIELDS = (
    ("message_id", "message ID"),
    ("ip", "IP address"),
    ("device", "device"),
    ("os", "operating system"),
    ("browser", "browser"),
    ("link", "link"),
)
ACTIVITY_GLOSSARY = {
    "sent": "A message was sent to you.",
    "delivered": "Your mail or phone provider accepted the message.",
    "open": "The message was opened (an image in the email was loaded).",
    "click": "A link in the message was followed.",
    "bounce": "The message could not be delivered.",
    "hardbounce": "The message could not be delivered, permanently.",
    "softbounce": "The message could not be delivered this time.",
    "unsubscribe": "You asked to receive no more messages of this kind.",
    "spam": "The message was reported as spam.",
    "complaint": "The message was reported as unwanted.",
    "failed": "Sending the message failed.",
}


class ReportError(Exception):
    """A report cannot be made now; the cause is in the message."""


class GapsNotAcknowledged(ReportError):
    """Part of the data could not be collected and the officer has not acknowledged it."""


# What the report says -----------------------------------------------------------------------


@dataclass
class ChannelSummary:
    channel: str
    label: str
    total: int = 0
    activities: list[tuple[str, int]] = field(default_factory=list)
    first: datetime | None = None
    last: datetime | None = None
    distinct_messages: int = 0
    chart_svg: str = ""


@dataclass
class Coverage:
    accounts: list[tuple[str, str]]
    primary_keys: list[str]
    channels: list[str]
    search_from: date
    search_to: date
    windows_total: int
    windows_done: int
    failed: list[HarvestWindow]
    unfinished: int

    @property
    def has_gaps(self) -> bool:
        return bool(self.failed or self.unfinished or not self.windows_total)

    def gaps_statement(self) -> str:
        """The gaps in plain words, as the report states them (empty when there are none)."""
        if not self.windows_total:
            return "No data was collected from Netcore for this request."
        lines = []
        if self.failed:
            lines.append(
                f"{len(self.failed)} of {self.windows_total} requests to Netcore failed; "
                "the activity of these periods is missing from this report:"
            )
            lines.extend(
                f"- {Channel(w.channel).label} activity of {w.primary_key} from "
                f"{w.start:%d %b %Y} to {w.end:%d %b %Y} (account {w.account.name})"
                for w in self.failed
            )
        if self.unfinished:
            lines.append(f"{self.unfinished} requests to Netcore had not finished.")
        return "\n".join(lines)


def _region_label(account) -> str:
    if account.region:
        return Region(account.region).label
    return "custom endpoint"


def case_coverage(case: Case) -> Coverage:
    """What was searched and what could be collected: accounts, period, windows, gaps."""
    windows = case.windows.select_related("account").order_by(
        "channel", "start", "account__name", "primary_key"
    )
    accounts: dict[int, tuple[str, str]] = {}
    failed, done, unfinished, total = [], 0, 0, 0
    for window in windows:
        total += 1
        accounts[window.account_id] = (window.account.name, _region_label(window.account))
        if window.status == WindowStatus.DONE:
            done += 1
        elif window.status == WindowStatus.FAILED:
            failed.append(window)
        else:
            unfinished += 1
    return Coverage(
        accounts=sorted(accounts.values()),
        primary_keys=list(case.primary_keys),
        channels=[Channel(c).label for c in case.channels],
        search_from=case.search_from,
        search_to=case.search_to,
        windows_total=total,
        windows_done=done,
        failed=failed,
        unfinished=unfinished,
    )


def channel_summaries(case: Case) -> list[ChannelSummary]:
    """Per channel: counts per activity, first and last activity, distinct messages, chart."""
    summaries = {c: ChannelSummary(c, Channel(c).label) for c in case.channels}
    rows = (
        case.events.order_by()
        .values("channel", "activity")
        .annotate(n=Count("id"), first=Min("occurred_at"), last=Max("occurred_at"))
    )
    for row in rows:
        summary = summaries.setdefault(
            row["channel"], ChannelSummary(row["channel"], row["channel"])
        )
        summary.total += row["n"]
        summary.activities.append((row["activity"], row["n"]))
        if row["first"] and (summary.first is None or row["first"] < summary.first):
            summary.first = row["first"]
        if row["last"] and (summary.last is None or row["last"] > summary.last):
            summary.last = row["last"]
    distinct = (
        case.events.order_by()
        .exclude(message_id="")
        .values("channel")
        .annotate(n=Count("message_id", distinct=True))
    )
    for row in distinct:
        summaries[row["channel"]].distinct_messages = row["n"]
    monthly: dict[str, dict[date, int]] = defaultdict(dict)
    per_month = (
        case.events.order_by()
        .filter(occurred_at__isnull=False)
        .annotate(month=TruncMonth("occurred_at", tzinfo=UTC))
        .values("channel", "month")
        .annotate(n=Count("id"))
    )
    for row in per_month:
        month = row["month"]
        month = month.date() if isinstance(month, datetime) else month
        monthly[row["channel"]][month] = row["n"]
    for summary in summaries.values():
        summary.activities.sort(key=lambda item: (-item[1], item[0]))
        first = min([case.search_from, *(d.date() for d in [summary.first] if d)])
        last = max([case.search_to, *(d.date() for d in [summary.last] if d)])
        summary.chart_svg = monthly_chart_svg(
            monthly[summary.channel],
            months_between(first, last),
            title=f"{summary.label}: events per month",
        )
    return list(summaries.values())


def events_in_report_order(case: Case):
    """Every event of the case, per channel in time order (undated ones last), streamed."""
    return (
        ActivityEvent.objects.filter(case=case)
        .order_by("channel", F("occurred_at").asc(nulls_last=True), "id")
        .iterator(chunk_size=2000)
    )


def event_html(number: int, event: ActivityEvent) -> str:
    """One event of the listing: a paragraph of two lines, every value escaped.

    Built here rather than in a template loop because it runs once per event (up to hundreds of
    thousands); plain text in one paragraph is also what WeasyPrint lays out fastest.
    """
    when = (
        event.occurred_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
        if event.occurred_at
        else "date not understood"
    )
    head = [f"#{number}", when, escape(event.activity)]
    if event.message_name:
        head.append(f"message “{escape(event.message_name)}”")
    if event.activity_date_raw:
        head.append(f"as reported {escape(event.activity_date_raw)}")
    fields = [
        f"{label}: {escape(value)}"
        for name, label in EVENT_FIELDS
        if (value := getattr(event, name))
    ]
    fields.extend(
        f"other: {escape(key)}: "
        + escape(value if isinstance(value, str) else json.dumps(value, ensure_ascii=False))
        for key, value in other_fields(event).items()
    )
    # Line breaks inside values would break the two-line layout: show them as spaces.
    line1 = " · ".join(head).replace("\n", " ").replace("\r", " ")
    line2 = " · ".join(fields).replace("\n", " ").replace("\r", " ")
    return f'<p class="ev">{line1}\n{line2}</p>\n' if fields else f'<p class="ev">{line1}</p>\n'


# Rendering -------------------------------------------------------------------------------


class Timings:
    """Seconds spent in each phase of a render, for the log and the benchmark."""

    def __init__(self):
        self.started = self.last = time.perf_counter()
        self.phases: list[tuple[str, float]] = []

    def mark(self, phase: str) -> None:
        now = time.perf_counter()
        self.phases.append((phase, now - self.last))
        self.last = now

    def __str__(self) -> str:
        return ", ".join(f"{name} {seconds:.1f} s" for name, seconds in self.phases)


@dataclass
class Acknowledgement:
    by: str
    on: date


@dataclass
class RenderResult:
    pages: int
    event_count: int
    sha256: str
    size: int
    json_path: Path | None = None
    csv_path: Path | None = None
    refused_urls: list[str] = field(default_factory=list)


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def render_report(
    case: Case,
    out_path: Path,
    *,
    version: int,
    acknowledgement: Acknowledgement | None = None,
    exports_dir: Path | None = None,
    generated_at: datetime | None = None,
    processes: int | None = None,
) -> RenderResult:
    """Render the report of `case` to `out_path`, with the JSON and CSV exports embedded (and
    kept in `exports_dir` when given). Raises GapsNotAcknowledged when data is missing and no
    acknowledgement is given.
    """
    generated_at = generated_at or timezone.now()
    coverage = case_coverage(case)
    if coverage.has_gaps and acknowledgement is None:
        raise GapsNotAcknowledged(
            "Part of the data could not be collected; the report needs the officer's "
            "acknowledgement of the gaps."
        )
    per_part = settings.REPORT_EVENTS_PER_PART
    profile = OrganisationProfile.load()
    reference = case.reference
    with tempfile.TemporaryDirectory(prefix="report-") as tmp:
        tmp_dir = Path(tmp)
        out_dir = exports_dir or tmp_dir
        json_path = out_dir / f"{reference}-events.json"
        csv_path = out_dir / f"{reference}-events.csv"
        header = {
            "case": reference,
            "subject": case.subject_name,
            "generated_at": generated_at.astimezone(UTC).isoformat(),
            "report_version": version,
            "search_from": case.search_from.isoformat(),
            "search_to": case.search_to.isoformat(),
        }
        timings = Timings()
        event_count = case.events.count()
        context = {
            "case": case,
            "profile": profile,
            "version": version,
            "generated_at": generated_at,
            "answered_on": timezone.localdate(generated_at),
            "summaries": channel_summaries(case),
            "coverage": coverage,
            "gaps": coverage.gaps_statement(),
            "acknowledgement": acknowledgement,
            "event_count": event_count,
            "json_name": json_path.name,
            "csv_name": csv_path.name,
            "glossary": _glossary(case),
            "event_fields": EVENT_FIELDS,
        }
        with PartRenderer(stylesheets=STYLESHEETS, processes=processes) as renderer:
            # The letter and glossary first: they render while the events are read.
            front = renderer.submit(
                Part(render_to_string("report/report_front.html", context), pdfa=True)
            )
            back = renderer.submit(Part(render_to_string("report/report_back.html", context)))
            timings.mark("summary")
            listing: list = []
            with (
                open(json_path, "w", encoding="utf-8") as json_file,
                open(csv_path, "w", encoding="utf-8", newline="") as csv_file,
            ):
                exports = ExportWriter(json_file=json_file, csv_file=csv_file, header=header)
                for channel, events in groupby(events_in_report_order(case), lambda e: e.channel):
                    label = Channel(channel).label if channel in Channel.values else channel
                    batch: list[str] = []
                    part_index = 0
                    for number, event in enumerate(events, start=1):
                        exports.add(event)
                        batch.append(event_html(number, event))
                        if len(batch) == per_part:
                            listing.append(_submit_listing(renderer, label, batch, part_index))
                            batch, part_index = [], part_index + 1
                            _wait_for_backlog(listing, renderer.processes * 2)
                    if batch:
                        listing.append(_submit_listing(renderer, label, batch, part_index))
                exports.close()
            if exports.count != event_count:
                raise ReportError("The events changed while the report was made; make it again.")
            timings.mark("events read and queued")
            parts: list[RenderedPart] = [
                front.result(),
                *(future.result() for future in listing),
                back.result(),
            ]
            timings.mark("parts rendered")
            pages = join_parts(
                parts,
                footer_label=reference,
                out_path=str(out_path),
                metadata={
                    "/Title": f"Access report {reference}",
                    "/Author": profile.controller_name,
                },
                attachments=[
                    FileAttachment(
                        str(json_path), json_path.name, "Your events as JSON", "application/json"
                    ),
                    FileAttachment(str(csv_path), csv_path.name, "Your events as CSV", "text/csv"),
                ],
            )
            timings.mark("joined")
        logger.info("Report %s: %d events, %d pages; %s", reference, exports.count, pages, timings)
        refused = [url for part in parts for url in part.refused]
        if refused:
            logger.warning("Report %s: renderer refused %d URLs", reference, len(refused))
        return RenderResult(
            pages=pages,
            event_count=exports.count,
            sha256=_sha256_of(out_path),
            size=out_path.stat().st_size,
            json_path=json_path if exports_dir else None,
            csv_path=csv_path if exports_dir else None,
            refused_urls=refused,
        )


def _submit_listing(renderer: PartRenderer, label: str, batch: list[str], index: int):
    html = render_to_string(
        "report/report_events.html",
        {"label": label, "events": mark_safe("".join(batch)), "continued": index > 0},  # noqa: S308
    )
    bookmarks = [(f"Your data: {label}", 0)] if index == 0 else []
    return renderer.submit(Part(html, bookmarks=bookmarks))


def _wait_for_backlog(futures: list, limit: int) -> None:
    """Bounded memory: never more than `limit` parts waiting for a worker."""
    waiting = [f for f in futures if not f.done()]
    if len(waiting) > limit:
        waiting[0].result()


def _glossary(case: Case) -> list[tuple[str, str]]:
    activities = sorted(set(case.events.order_by().values_list("activity", flat=True).distinct()))
    return [
        (name, ACTIVITY_GLOSSARY.get(name.lower(), "An activity Netcore recorded under this name."))
        for name in activities
    ]


# Generating and recording a version ----------------------------------------------------------


def report_request(*, case: Case, actor, acknowledge_gaps: bool = False) -> Report:
    """Record a new version of the report as generating and queue its rendering.

    Refused while the data is not collected, while another version is being generated, and when
    data is missing unless the officer acknowledges the gaps.
    """
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        if locked.status not in REPORTABLE:
            raise ReportError(
                f"A report can be generated once the data is collected; the case is "
                f"{CaseStatus(locked.status).label.lower()}."
            )
        # A version still "generating" long after it was asked for lost its worker: it no
        # longer blocks a new one.
        recent = timezone.now() - timedelta(seconds=GENERATING_STALE_AFTER_SECONDS)
        if locked.reports.filter(status=ReportStatus.GENERATING, created_at__gt=recent).exists():
            raise ReportError("A report is already being generated for this case.")
        coverage = case_coverage(locked)
        if coverage.has_gaps and not acknowledge_gaps:
            raise GapsNotAcknowledged(
                "Part of the data could not be collected. Retry the failed windows, or confirm "
                "that the report should be sent with the gaps stated in it."
            )
        last = locked.reports.aggregate(v=Max("version"))["v"] or 0
        report = Report.objects.create(
            case=locked,
            version=last + 1,
            generated_by=actor,
            acknowledged_gaps=coverage.has_gaps,
            gaps_text=coverage.gaps_statement(),
        )
        report_id = report.pk

        def enqueue() -> None:
            from .tasks import report_generate_task

            report_generate_task.delay(report_id)

        transaction.on_commit(enqueue)
    return report


def report_generate(report_id: int) -> Report:
    """Render a requested version, store it privately, audit it and mark the case report ready.

    Safe to run again (a task delivered twice): a version already made is left as it is.
    """
    report = Report.objects.select_related("case", "generated_by").get(pk=report_id)
    if report.status != ReportStatus.GENERATING:
        return report
    case = report.case
    acknowledgement = None
    if report.acknowledged_gaps:
        by = report.generated_by
        acknowledgement = Acknowledgement(
            by=(by.get_full_name() or by.get_username()) if by else "the privacy officer",
            on=timezone.localdate(report.created_at),
        )
    try:
        with tempfile.TemporaryDirectory(prefix="report-out-") as tmp:
            tmp_dir = Path(tmp)
            pdf_path = tmp_dir / report.filename
            result = render_report(
                case,
                pdf_path,
                version=report.version,
                acknowledgement=acknowledgement,
                exports_dir=tmp_dir,
            )
            if result.json_path is None or result.csv_path is None:
                raise ReportError("The exports were not written.")
            stem = f"v{report.version}-{timezone.now():%Y%m%d%H%M%S}"
            for field_name, path, name in (
                ("file", pdf_path, f"{stem}-{report.filename}"),
                ("json_file", result.json_path, f"{stem}-events.json"),
                ("csv_file", result.csv_path, f"{stem}-events.csv"),
            ):
                with open(path, "rb") as file:
                    getattr(report, field_name).save(name, File(file), save=False)
    except Exception as exc:
        logger.exception("Report %s v%s failed", case.reference, report.version)
        Report.objects.filter(pk=report.pk).update(
            status=ReportStatus.FAILED, error=str(exc)[:2000], finished_at=timezone.now()
        )
        report.refresh_from_db()
        return report
    with transaction.atomic():
        report.status = ReportStatus.READY
        report.sha256 = result.sha256
        report.size = result.size
        report.pages = result.pages
        report.event_count = result.event_count
        report.finished_at = timezone.now()
        report.save()
        audit_append(
            case=case,
            actor=report.generated_by,
            action=AuditAction.REPORT_GENERATED,
            details={
                "version": report.version,
                "sha256": report.sha256,
                "size": report.size,
                "pages": report.pages,
                "event_count": report.event_count,
                "acknowledged_gaps": report.acknowledged_gaps,
            },
        )
        case.refresh_from_db(fields=["status"])
        if case.status != CaseStatus.REPORT_READY:
            try:
                case_change_status(
                    case=case,
                    actor=report.generated_by,
                    status=CaseStatus.REPORT_READY,
                    report_version=report.version,
                )
            except (TransitionNotAllowed, CaseRuleError) as exc:
                # The case moved on (e.g. collection restarted): the version stays, unused.
                logger.warning("Report %s v%s: %s", case.reference, report.version, exc)
    return report


def report_record_download(*, report: Report, actor, kind: str) -> None:
    """Audit that `actor` downloaded the PDF ("pdf") or an export ("json", "csv") of a version."""
    audit_append(
        case=report.case,
        actor=actor,
        action=AuditAction.REPORT_DOWNLOADED if kind == "pdf" else AuditAction.EXPORT_DOWNLOADED,
        details={"version": report.version, "format": kind},
    )


def has_gaps(case: Case) -> bool:
    """True when some windows failed or never finished: a report then needs acknowledgement."""
    return case_coverage(case).has_gaps
