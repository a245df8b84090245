"""Versions of a case's report: asking for one (recorded as "generating" and queued), building
it on a worker (rendered, stored privately, audited, the case moved to "report ready"), and the
audit of each download."""

import logging
import tempfile
from datetime import timedelta
from pathlib import Path

from celery import shared_task
from django.core.files import File
from django.db import transaction
from django.db.models import Count, F, Max, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy

from cases.audit import audit_append
from cases.models import (
    AuditAction,
    Case,
    OrganisationProfile,
    ProfileSnapshot,
    Report,
    ReportStatus,
    WindowStatus,
)
from cases.services import CaseRuleError, case_change_status
from cases.workflow import CaseStatus, TransitionNotAllowed

from .content import case_coverage, systems_without_outcome
from .document import (
    Acknowledgement,
    GapsNotAcknowledged,
    OtherSystemsUnanswered,
    ReportError,
    render_report,
)
from .integrity import file_sha256

logger = logging.getLogger(__name__)

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


def report_request(*, case: Case, actor, acknowledge_gaps: bool = False) -> Report:
    """Record a new version of the report as generating and queue its rendering.

    Refused while the data is not collected, while another version is being generated, while an
    other system has no outcome for the case, and when data is missing unless the officer
    acknowledges the gaps.
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
        unanswered = systems_without_outcome(locked)
        if unanswered:
            raise OtherSystemsUnanswered(
                "Record what was found in every other system first (Other systems): "
                + ", ".join(system.name for system in unanswered)
                + "."
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

        transaction.on_commit(lambda: report_build_task.delay(report_id))
    return report


def claim_report(report_id: int) -> Report | None:
    """Take a version to build (compare-and-set): one still generating that no worker holds, or
    whose worker has held it longer than a build can last (it died). None when another worker has
    it or it is made."""
    stale = timezone.now() - timedelta(seconds=GENERATING_STALE_AFTER_SECONDS)
    claimed = (
        Report.objects.filter(pk=report_id, status=ReportStatus.GENERATING)
        .filter(Q(build_started_at__isnull=True) | Q(build_started_at__lt=stale))
        .update(build_started_at=timezone.now(), build_attempts=F("build_attempts") + 1)
    )
    if not claimed:
        return None
    return Report.objects.select_related("case", "generated_by").get(pk=report_id)


def _owned(report: Report) -> QuerySet[Report]:
    """The report, if this worker's claim is still the latest."""
    return Report.objects.filter(
        pk=report.pk, status=ReportStatus.GENERATING, build_attempts=report.build_attempts
    )


def report_build(report_id: int) -> Report | None:
    """Render a requested version, store it privately, audit it and mark the case report ready.

    Claimed first, so a task delivered twice (or running beside a stale twin) builds and audits a
    version once. Returns the report as built, or None when there was nothing to do.
    """
    report = claim_report(report_id)
    if report is None:
        return None
    case = report.case
    acknowledgement = None
    if report.acknowledged_gaps:
        by = report.generated_by
        acknowledgement = Acknowledgement(
            # Lazy: read in the report's language when the report says who reviewed the gaps.
            by=(by.get_full_name() or by.get_username())
            if by
            else gettext_lazy("Our privacy team"),
            on=timezone.localdate(report.created_at),
        )
    try:
        # The profile's text this version is made with, kept with it for good.
        snapshot = ProfileSnapshot.take(OrganisationProfile.load())
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
            if ProfileSnapshot.digest(ProfileSnapshot.content_of(OrganisationProfile.load())) != (
                snapshot.sha256
            ):
                raise ReportError(
                    "The organisation profile was changed while the report was made; "
                    "generate the report again."
                )
            if result.json_path is None or result.csv_path is None:
                raise ReportError("The exports were not written.")
            # The claim's number in the names: a stale twin never overwrites these files.
            stem = f"v{report.version}-{report.build_attempts}-{timezone.now():%Y%m%d%H%M%S}"
            for field_name, path, name in (
                ("file", pdf_path, f"{stem}-{report.filename}"),
                ("json_file", result.json_path, f"{stem}-events.json"),
                ("csv_file", result.csv_path, f"{stem}-events.csv"),
            ):
                with open(path, "rb") as file:
                    getattr(report, field_name).save(name, File(file), save=False)
            export_sha256 = {
                "json_sha256": file_sha256(result.json_path),
                "csv_sha256": file_sha256(result.csv_path),
            }
    except Exception as exc:
        logger.exception("Report %s v%s failed", case.reference, report.version)
        _owned(report).update(
            status=ReportStatus.FAILED, error=str(exc)[:2000], finished_at=timezone.now()
        )
        report.refresh_from_db()
        return report
    with transaction.atomic():
        recorded = _owned(report).update(
            status=ReportStatus.READY,
            file=report.file.name,
            json_file=report.json_file.name,
            csv_file=report.csv_file.name,
            sha256=result.sha256,
            **export_sha256,
            size=result.size,
            pages=result.pages,
            event_count=result.event_count,
            profile_snapshot=snapshot,
            language=case.language,
            finished_at=timezone.now(),
        )
        if not recorded:
            # A newer claim owns the version now: this build's files are not the record.
            _delete_files(report)
            return None
        report.refresh_from_db()
        audit_append(
            case=case,
            actor=report.generated_by,
            action=AuditAction.REPORT_GENERATED,
            details={
                "version": report.version,
                "sha256": report.sha256,
                "json_sha256": report.json_sha256,
                "csv_sha256": report.csv_sha256,
                "size": report.size,
                "pages": report.pages,
                "event_count": report.event_count,
                "acknowledged_gaps": report.acknowledged_gaps,
                "profile_sha256": snapshot.sha256,
                "language": case.language,
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


def _delete_files(report: Report) -> None:
    for file in (report.file, report.json_file, report.csv_file):
        if file:
            file.storage.delete(file.name)


def report_record_download(*, report: Report, actor, kind: str) -> None:
    """Audit that `actor` downloaded the PDF ("pdf") or an export ("json", "csv") of a version."""
    audit_append(
        case=report.case,
        actor=actor,
        action=AuditAction.REPORT_DOWNLOADED if kind == "pdf" else AuditAction.EXPORT_DOWNLOADED,
        details={"version": report.version, "format": kind},
    )


def has_gaps(case: Case) -> bool:
    """True when some windows failed or never finished (or none was planned): a report then
    needs acknowledgement. Two counts, not the windows themselves."""
    counts = case.windows.aggregate(
        total=Count("id"), done=Count("id", filter=Q(status=WindowStatus.DONE))
    )
    return not counts["total"] or counts["done"] < counts["total"]


@shared_task(
    name="cases.tasks.report_generate_task",
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
)
def report_build_task(report_id: int) -> None:
    # Failures are recorded on the report (status failed, with the cause) for the officer to see.
    report_build(report_id)
