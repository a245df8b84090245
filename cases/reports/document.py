"""Making the report's PDF from a case: the letter and summary, the event listing in parts, the
glossary, joined into one PDF/A-3 document with the JSON and CSV exports embedded."""

import hashlib
import logging
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from itertools import groupby
from pathlib import Path

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe

from cases.models import Case, Channel, OrganisationProfile

from .content import (
    EVENT_FIELDS,
    account_zone,
    case_coverage,
    channel_summaries,
    event_html,
    events_in_report_order,
    glossary,
)
from .exports import ExportWriter
from .joining import FileAttachment, join_parts
from .rendering import Part, PartRenderer, RenderedPart

logger = logging.getLogger(__name__)

STYLESHEETS = ["report/report.css"]


class ReportError(Exception):
    """A report cannot be made now; the cause is in the message."""


class GapsNotAcknowledged(ReportError):
    """Part of the data could not be collected and the officer has not acknowledged it."""


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
        zone = account_zone(case)
        context = {
            "case": case,
            "profile": profile,
            "version": version,
            "generated_at": generated_at,
            "answered_on": timezone.localdate(generated_at),
            "summaries": channel_summaries(case, zone),
            "zone": zone,
            "coverage": coverage,
            "gaps": coverage.gaps_statement(),
            "acknowledgement": acknowledgement,
            "event_count": event_count,
            "json_name": json_path.name,
            "csv_name": csv_path.name,
            "glossary": glossary(case),
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
