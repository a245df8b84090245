"""Making the report's PDF from a case: the overview, how to read it, the information the case's
regime requires (Art. 15 under GDPR and UK GDPR; cases/regimes.py AnswerRules), the scope and the
summary; the message layer and the event annex in parts; the glossary; joined into one tagged
PDF/A-3 document with the JSON and CSV exports embedded. Both layers and the
exports are checked to hold every stored event.

The whole document is in the case's language (`translation.override(case.language)`; its HTML's
lang becomes the PDF's /Lang), with the organisation's Art. 15 texts in that language where the
profile has them (English where not: cases/languages.py warns the officer before sending)."""

import hashlib
import logging
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from itertools import groupby
from pathlib import Path

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from cases.languages import month_abbreviations
from cases.models import Case, OrganisationProfile
from cases.regimes import REGIMES

from .content import (
    CHANNEL_WORDS,
    case_coverage,
    channel_label,
    channel_summaries,
    event_html,
    events_by_message,
    events_in_report_order,
    glossary,
    message_entries,
    other_systems,
    regime_sections,
    report_zone,
    systems_without_outcome,
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


class OtherSystemsUnanswered(ReportError):
    """An other system of the organisation has no outcome recorded for the case."""


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
    by: str  # who reviewed the gaps (a name, or our wording for the team, lazily translated)
    on: date


@dataclass
class RenderResult:
    pages: int
    event_count: int
    message_count: int
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


def render_report(case: Case, out_path: Path, **options) -> RenderResult:
    """Render the report of `case` to `out_path` in the case's language, with the JSON and CSV
    exports embedded (see `_render_report` for the options). Raises GapsNotAcknowledged when data
    is missing and no acknowledgement is given, ReportError when an other system has no outcome
    yet."""
    with translation.override(case.language):
        return _render_report(case, out_path, **options)


def _render_report(
    case: Case,
    out_path: Path,
    *,
    version: int,
    acknowledgement: Acknowledgement | None = None,
    exports_dir: Path | None = None,
    generated_at: datetime | None = None,
    processes: int | None = None,
) -> RenderResult:
    """The report, in the current language; the exports kept in `exports_dir` when given."""
    generated_at = generated_at or timezone.now()
    coverage = case_coverage(case)
    if coverage.has_gaps and acknowledgement is None:
        raise GapsNotAcknowledged(
            "Part of the data could not be collected; the report needs the officer's "
            "acknowledgement of the gaps."
        )
    unanswered = systems_without_outcome(case)
    if unanswered:
        raise OtherSystemsUnanswered(
            "Record what was found in every other system first: "
            + ", ".join(system.name for system in unanswered)
            + "."
        )
    per_part = settings.REPORT_EVENTS_PER_PART
    profile = OrganisationProfile.load()
    zone = report_zone(case, profile)
    texts = profile.in_language(case.language)
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
            "report_time_zone": zone.key,
            "search_from": case.search_from.isoformat(),
            "search_to": case.search_to.isoformat(),
        }
        timings = Timings()
        event_count = case.events.count()
        message_count = _message_count(case)
        summaries = channel_summaries(case, zone)
        context = {
            "case": case,
            "profile": texts,
            "legal_basis": REGIMES[case.regime].answer.access_basis,
            "regime_required": REGIMES[case.regime].answer.required_sections,
            "version": version,
            "prepared_on": generated_at.astimezone(zone).date(),
            "summaries": summaries,
            "zone": zone,
            "zone_abbreviations": zone_abbreviations(zone, case.search_from, case.search_to),
            "recorded_zones": sorted({c.zone for c in coverage.data_centres}) or [zone.key],
            "coverage": coverage,
            "channel_words": channel_words(case.channels),
            "systems": other_systems(case),
            "regime_sections": regime_sections(
                case, texts, coverage, transfer_text(coverage, texts)
            ),
            "gaps": coverage.gaps_statement(),
            "acknowledgement": acknowledgement,
            "event_count": event_count,
            "message_count": message_count,
            "month_names": month_abbreviations(),
            "json_name": json_path.name,
            "csv_name": csv_path.name,
            "glossary": glossary(case),
        }
        with PartRenderer(stylesheets=STYLESHEETS, processes=processes) as renderer:
            # The overview and glossary first: they render while the events are read.
            front = renderer.submit(
                Part(render_to_string("report/report_front.html", context), pdfa=True)
            )
            back = renderer.submit(Part(render_to_string("report/report_back.html", context)))
            timings.mark("summary")
            backlog = renderer.processes * 2
            messages: list = []
            in_messages = 0
            for channel, entries in groupby(
                message_entries(events_by_message(case)), lambda e: e.channel
            ):
                batch: list[str] = []
                batch_events, part_index = 0, 0
                for entry in entries:
                    batch.append(entry.html(zone))
                    batch_events += entry.events
                    in_messages += entry.events
                    if batch_events >= per_part:
                        messages.append(
                            _submit(renderer, MESSAGES, channel, batch, part_index, zone)
                        )
                        batch, batch_events, part_index = [], 0, part_index + 1
                        _wait_for_backlog(messages, backlog)
                if batch:
                    messages.append(_submit(renderer, MESSAGES, channel, batch, part_index, zone))
            timings.mark("messages read and queued")
            listing: list = []
            with (
                open(json_path, "w", encoding="utf-8") as json_file,
                open(csv_path, "w", encoding="utf-8", newline="") as csv_file,
            ):
                exports = ExportWriter(json_file=json_file, csv_file=csv_file, header=header)
                for channel, events in groupby(events_in_report_order(case), lambda e: e.channel):
                    batch = []
                    part_index = 0
                    for number, event in enumerate(events, start=1):
                        exports.add(event)
                        batch.append(event_html(number, event, zone))
                        if len(batch) == per_part:
                            listing.append(
                                _submit(renderer, EVENTS, channel, batch, part_index, zone)
                            )
                            batch, part_index = [], part_index + 1
                            _wait_for_backlog(messages + listing, backlog)
                    if batch:
                        listing.append(_submit(renderer, EVENTS, channel, batch, part_index, zone))
                exports.close()
            # Both layers and the exports hold every stored event, or no report is made.
            if not exports.count == in_messages == event_count:
                raise ReportError("The events changed while the report was made; make it again.")
            timings.mark("events read and queued")
            parts: list[RenderedPart] = [
                front.result(),
                *(future.result() for future in messages),
                *(future.result() for future in listing),
                back.result(),
            ]
            renderer.finish()
            timings.mark("parts rendered")
            pages = join_parts(
                parts,
                footer_label=reference,
                out_path=str(out_path),
                title=_("Access report %(reference)s") % {"reference": reference},
                author=profile.controller_name,
                moment=generated_at,
                attachments=[
                    FileAttachment(
                        str(json_path), json_path.name, _("Your events as JSON"), "application/json"
                    ),
                    FileAttachment(
                        str(csv_path), csv_path.name, _("Your events as CSV"), "text/csv"
                    ),
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
            message_count=message_count,
            sha256=_sha256_of(out_path),
            size=out_path.stat().st_size,
            json_path=json_path if exports_dir else None,
            csv_path=csv_path if exports_dir else None,
            refused_urls=refused,
        )


MESSAGES = ("report/report_messages.html", "entries")
EVENTS = ("report/report_events.html", "events")


def _submit(renderer: PartRenderer, layer, channel: str, batch: list[str], index: int, zone):
    template, key = layer
    label = channel_label(channel)
    html = render_to_string(
        template,
        {
            "label": label,
            key: mark_safe("".join(batch)),  # noqa: S308 (built escaped by content)
            "continued": index > 0,
            "zone": zone,
        },
    )
    return renderer.submit(Part(html))


def _message_count(case: Case) -> int:
    """Messages as the message layer counts them: distinct channel, ID and name."""
    return case.events.order_by().values("channel", "message_id", "message_name").distinct().count()


def channel_words(channels: list[str]) -> str:
    """ "email and SMS", as a sentence says it, in the current language."""
    words = [str(CHANNEL_WORDS.get(c, c)) for c in channels]
    if len(words) < 2:
        return "".join(words)
    return _("%(list)s and %(last)s") % {"list": ", ".join(words[:-1]), "last": words[-1]}


def zone_abbreviations(zone, start: date, end: date) -> str:
    """How the zone's clocks are called in the period (e.g. "GMT and BST"), or its UTC offset."""
    names = []
    day = start
    while day <= end:
        moment = datetime.combine(day, datetime.min.time(), tzinfo=zone)
        name = moment.tzname() or ""
        if name and name not in names:
            names.append(name)
        day += timedelta(days=28)
    readable = [n for n in names if not n.startswith(("+", "-"))]
    if len(readable) > 1:
        return _("%(list)s and %(last)s") % {"list": ", ".join(readable[:-1]), "last": readable[-1]}
    if readable:
        return readable[0]
    offset = datetime.combine(start, datetime.min.time(), tzinfo=zone).strftime("%z")
    return f"UTC{offset[:3]}:{offset[3:]}"


def transfer_text(coverage, profile: OrganisationProfile) -> str:
    """Art. 15(2), from the data centres searched: none outside the UK and EEA, or which."""
    outside = coverage.transfer_regions
    if outside:
        return _(
            "Your data is held by %(held_by)s, outside the UK and the European Economic Area. "
            "This transfer is protected by %(safeguard)s."
        ) % {"held_by": "; ".join(outside), "safeguard": profile.transfers}
    if coverage.unknown_regions or not coverage.data_centres:
        return _(
            "Your data may be held outside the UK and the European Economic Area. Such a "
            "transfer is protected by %(safeguard)s."
        ) % {"safeguard": profile.transfers}
    return _(
        "Your data is held in Netcore's EU data centre, within the European Economic Area; "
        "it is not transferred outside the UK and the EEA for this purpose."
    )


def _wait_for_backlog(futures: list, limit: int) -> None:
    """Bounded memory: never more than `limit` parts waiting for a worker."""
    waiting = [f for f in futures if not f.done()]
    if len(waiting) > limit:
        waiting[0].result()
