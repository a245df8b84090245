"""What the report says: what was searched and any gap, a summary per channel, every event in
the listing's words, and the glossary."""

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from django.db.models import Count, F, Max, Min
from django.db.models.functions import TruncMonth
from django.utils.html import escape

from cases.models import ActivityEvent, Case, Channel, HarvestWindow, WindowStatus
from netcore.models import Region
from netcore.records import RECORD_FIELDS

from .chart import monthly_chart_svg, months_between
from .exports import other_fields

# The details of an event shown under its headline, labelled as people call them.
EVENT_FIELDS = tuple((f.name, f.label) for f in RECORD_FIELDS if f.detail)
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


def account_zone(case: Case) -> ZoneInfo:
    """The zone in which the searched Netcore account reports its dates, and in which the
    windows' dates were asked for: months and period bounds of the summaries follow it. When
    accounts of different zones were searched, the first by name; UTC before any search."""
    window = case.windows.select_related("account").order_by("account__name").first()
    return window.account.zone if window else ZoneInfo("UTC")


def channel_summaries(case: Case, zone: ZoneInfo) -> list[ChannelSummary]:
    """Per channel: counts per activity, first and last activity, distinct messages, and a chart
    of events per month, months and bounds in `zone`."""
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
        .annotate(month=TruncMonth("occurred_at", tzinfo=zone))
        .values("channel", "month")
        .annotate(n=Count("id"))
    )
    for row in per_month:
        month = row["month"]
        month = month.date() if isinstance(month, datetime) else month
        monthly[row["channel"]][month] = row["n"]
    for summary in summaries.values():
        summary.activities.sort(key=lambda item: (-item[1], item[0]))
        first = min([case.search_from, *(d.astimezone(zone).date() for d in [summary.first] if d)])
        last = max([case.search_to, *(d.astimezone(zone).date() for d in [summary.last] if d)])
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


def glossary(case: Case) -> list[tuple[str, str]]:
    activities = sorted(set(case.events.order_by().values_list("activity", flat=True).distinct()))
    return [
        (name, ACTIVITY_GLOSSARY.get(name.lower(), "An activity Netcore recorded under this name."))
        for name in activities
    ]
