"""What the report says, in words a subject understands.

- One time zone: every time is in `report_zone(case)` (the case's `subject_timezone`, else the
  organisation's default), named wherever times are shown; months of the chart and bounds of the
  summaries are that zone's too, so an event just after local midnight on the first of a month
  is in that month. Netcore's own text of the time is kept in the annex ("as recorded").
- Scope: what was searched (Netcore's email and SMS activity: which data centres, identifiers,
  period, gaps), the other systems and their outcomes, and the transfer that the data centres
  searched imply (Art. 15(2)).
- Layers: a summary per channel (with the monthly chart and its numbers), one entry per message
  (its events in time order, on one or two lines), and the annex (every event, every field). The
  HTML of entries and events is built here, escaped, because it runs once per event.
- Words: activities, devices, systems and fields in plain words, with a glossary entry for every
  activity that occurs; nothing internal (account names) is shown to the subject.
- Language: every word of ours is in the current language (the case's, `translation.override`
  by the caller); Netcore's values (message names, IDs, links, its own activity and device
  names, its text of the time) are shown exactly as recorded, never translated.
"""

import json
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.db.models import Count, F, Max, Min, Window
from django.db.models.functions import TruncMonth
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from cases.languages import month_abbreviations, month_year, number, short_day
from cases.models import (
    ActivityEvent,
    Case,
    Channel,
    HarvestWindow,
    OrganisationProfile,
    OtherSystem,
    SystemCheck,
    WindowStatus,
)
from cases.regimes import REGIMES
from netcore.models import Region
from netcore.records import RECORD_FIELDS

from .chart import monthly_chart_svg, months_between
from .exports import other_fields

PROVIDER = gettext_lazy("Netcore Cloud, our email and SMS provider")
DATA_CENTRES = {
    Region.EU: gettext_lazy("EU data centre"),
    Region.IN: gettext_lazy("India data centre"),
    Region.US: gettext_lazy("US data centre"),
}
# Channels as a heading names them, and as a sentence does ("by email and SMS").
CHANNEL_LABELS = {Channel.EMAIL: gettext_lazy("Email"), Channel.SMS: gettext_lazy("SMS")}
CHANNEL_WORDS = {Channel.EMAIL: gettext_lazy("email"), Channel.SMS: gettext_lazy("SMS")}
SYSTEM_OUTCOMES = {
    "no_data": gettext_lazy("No data held"),
    "provided_separately": gettext_lazy("Provided separately"),
    "not_searched": gettext_lazy("Not searched"),
}
# Data centres outside the UK and the EEA: keeping the data there is a transfer (Art. 15(2)).
TRANSFER_REGIONS = frozenset({Region.IN, Region.US})

# Activities as Netcore names them (lower case): the verb of a message's timeline and the
# glossary's explanation. Any other activity is shown under Netcore's own name.
ACTIVITIES = {
    "sent": (gettext_lazy("sent"), gettext_lazy("We sent you the message.")),
    "delivered": (
        gettext_lazy("delivered"),
        gettext_lazy("Your mail or phone provider accepted the message."),
    ),
    "open": (
        gettext_lazy("opened"),
        gettext_lazy(
            "The message was opened: an image in the email was loaded. Privacy features of some "
            "email apps and security scanners load images by themselves, so an open may be "
            "recorded without you reading the message."
        ),
    ),
    "click": (
        gettext_lazy("clicked"),
        gettext_lazy(
            "A link in the message was followed. Security scanners of some mail providers "
            "follow links by themselves, so a click may be recorded without you clicking."
        ),
    ),
    "bounce": (
        gettext_lazy("bounced"),
        gettext_lazy(
            "The message could not be delivered. A soft bounce is temporary (for example a full "
            "mailbox); a hard bounce is permanent (for example an address that does not exist)."
        ),
    ),
    "softbounce": (
        gettext_lazy("bounced (soft)"),
        gettext_lazy("The message could not be delivered this time."),
    ),
    "hardbounce": (
        gettext_lazy("bounced (hard)"),
        gettext_lazy("The message could not be delivered, permanently."),
    ),
    "dnd": (
        gettext_lazy("not sent (do not disturb)"),
        gettext_lazy("The message was not sent because your number is on a do-not-disturb list."),
    ),
    "unsubscribe": (
        gettext_lazy("unsubscribed"),
        gettext_lazy("You asked to receive no more messages of this kind."),
    ),
    "spam": (gettext_lazy("reported as spam"), gettext_lazy("The message was reported as spam.")),
    "complaint": (
        gettext_lazy("reported as unwanted"),
        gettext_lazy("The message was reported as unwanted."),
    ),
    "failed": (gettext_lazy("failed"), gettext_lazy("Sending the message failed.")),
}
# Fields Netcore sends that have no column of their own but a name people understand.
EXTRA_FIELD_LABELS = {
    "bounce_type": gettext_lazy("bounce type"),
    "bounce_reason": gettext_lazy("reason"),
    "reason": gettext_lazy("reason"),
}
# Devices and systems as Netcore records them (upper case), in plain words.
DEVICES = {
    "DESKTOP": gettext_lazy("computer"),
    "MOBILE": gettext_lazy("mobile phone"),
    "TABLET": gettext_lazy("tablet"),
}
SYSTEMS = {
    "UNIX": gettext_lazy("Unix-like system"),
    "WINDOWS": "Windows",
    "MAC OS": "macOS",
    "MACOS": "macOS",
    "ANDROID": "Android",
    "IOS": "iOS",
    "LINUX": "Linux",
}
# Netcore's text inside a line is isolated (FSI … PDI): a right-to-left name keeps its order
# and leaves the numbers and words around it in theirs.
ISOLATE = "\u2068{}\u2069"
# Every field of a record (netcore/records.py) is in the annex, in that order, short forms
# (explained in the glossary) for the common ones and "label: value" for any other; the activity
# and Netcore's text of the time are placed apart (first and last).
ANNEX_FORMS = {
    "message_name": "“" + ISOLATE + "”",
    "message_id": "ID {}",
    "ip": "IP {}",
    "link": gettext_lazy("link {}"),
}
ANNEX_ELSEWHERE = frozenset({"activity", "activity_date_raw"})
DEVICE_FIELDS = ("device", "os", "browser")  # shown together, in plain words
UNDATED = gettext_lazy("time not understood")


def report_zone(case: Case, profile: OrganisationProfile | None = None) -> ZoneInfo:
    """The one zone of every time in the case's report."""
    name = case.subject_timezone or (profile or OrganisationProfile.load()).default_timezone
    return ZoneInfo(name)


def plain_device(value: str) -> str:
    return str(DEVICES.get(value.strip().upper(), value))


def plain_system(value: str) -> str:
    return str(SYSTEMS.get(value.strip().upper(), value))


def activity_verb(activity: str) -> str:
    return str(ACTIVITIES.get(activity.lower(), (activity, ""))[0])


def channel_label(channel: str) -> str:
    """'Email', 'SMS', or Netcore's own name of another channel."""
    return str(CHANNEL_LABELS.get(channel, channel))


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
    words: str = ""  # the channel as a sentence says it ("email")
    # The chart's numbers: (year, [count per month, None outside the period], year's total).
    month_rows: list[tuple[int, list[int | None], int]] = field(default_factory=list)


@dataclass
class DataCentre:
    label: str  # e.g. "Netcore Cloud, our email and SMS provider, EU data centre"
    region: str  # "eu", "in", "us", or "" when the account names no region
    zone: str  # the zone in which Netcore records this account's times


@dataclass
class Coverage:
    data_centres: list[DataCentre]
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

    @property
    def transfer_regions(self) -> list[str]:
        """Data centres searched that lie outside the UK and the EEA (a transfer)."""
        return sorted({d.label for d in self.data_centres if d.region in TRANSFER_REGIONS})

    @property
    def unknown_regions(self) -> bool:
        return any(not d.region for d in self.data_centres)

    def gaps_statement(self) -> str:
        """The gaps in plain words, as the report states them (empty when there are none)."""
        if not self.windows_total:
            return _("No data was collected from Netcore for this request.")
        lines = []
        if self.failed:
            lines.append(
                _(
                    "%(failed)s of %(total)s requests to Netcore failed; the activity of these "
                    "periods is missing from this report:"
                )
                % {"failed": number(len(self.failed)), "total": number(self.windows_total)}
            )
            lines.extend(
                "- "
                + _("%(channel)s activity of %(key)s from %(start)s to %(end)s")
                % {
                    "channel": channel_label(w.channel),
                    "key": w.primary_key,
                    "start": short_day(w.start),
                    "end": short_day(w.end),
                }
                for w in self.failed
            )
        if self.unfinished:
            lines.append(
                ngettext(
                    "%(count)s request to Netcore had not finished.",
                    "%(count)s requests to Netcore had not finished.",
                    self.unfinished,
                )
                % {"count": number(self.unfinished)}
            )
        return "\n".join(lines)


def _data_centre(account) -> DataCentre:
    region = account.region or ""
    label = f"{PROVIDER}, {DATA_CENTRES[region]}" if region else str(PROVIDER)
    return DataCentre(label=label, region=region, zone=account.timezone)


def case_coverage(case: Case) -> Coverage:
    """What was searched and what could be collected: data centres, period, windows, gaps."""
    windows = case.windows.select_related("account").order_by(
        "channel", "start", "account__name", "primary_key"
    )
    centres: dict[tuple[str, str], DataCentre] = {}
    failed, done, unfinished, total = [], 0, 0, 0
    for window in windows:
        total += 1
        centre = _data_centre(window.account)
        centres.setdefault((centre.label, centre.zone), centre)
        if window.status == WindowStatus.DONE:
            done += 1
        elif window.status == WindowStatus.FAILED:
            failed.append(window)
        else:
            unfinished += 1
    return Coverage(
        data_centres=sorted(centres.values(), key=lambda c: (c.label, c.zone)),
        primary_keys=list(case.primary_keys),
        channels=[channel_label(c) for c in case.channels],
        search_from=case.search_from,
        search_to=case.search_to,
        windows_total=total,
        windows_done=done,
        failed=failed,
        unfinished=unfinished,
    )


@dataclass
class OtherSystemLine:
    system: OtherSystem
    check: SystemCheck | None

    @property
    def outcome(self) -> str:
        """The outcome in the current language ("" while none is recorded)."""
        return str(SYSTEM_OUTCOMES.get(self.check.outcome, "")) if self.check else ""


def other_systems(case: Case) -> list[OtherSystemLine]:
    """Every active other system, and any checked for this case since made inactive."""
    checks = {c.system_id: c for c in case.system_checks.select_related("system", "recorded_by")}
    systems = OtherSystem.objects.filter(active=True) | OtherSystem.objects.filter(
        pk__in=list(checks)
    )
    return [OtherSystemLine(system, checks.get(system.pk)) for system in systems.distinct()]


def systems_without_outcome(case: Case) -> list[OtherSystem]:
    """The active other systems for which the case records no outcome yet."""
    return list(OtherSystem.objects.filter(active=True).exclude(checks__case=case))


def channel_summaries(case: Case, zone: ZoneInfo) -> list[ChannelSummary]:
    """Per channel: counts per activity, first and last activity, distinct messages, and a chart
    of events per month with its numbers, months and bounds in `zone`."""
    summaries = {
        c: ChannelSummary(c, channel_label(c), words=str(CHANNEL_WORDS.get(c, c)))
        for c in case.channels
    }
    rows = (
        case.events.order_by()
        .values("channel", "activity")
        .annotate(n=Count("id"), first=Min("occurred_at"), last=Max("occurred_at"))
    )
    for row in rows:
        summary = summaries.setdefault(
            row["channel"], ChannelSummary(row["channel"], row["channel"], words=row["channel"])
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
        month = month.astimezone(zone).date() if isinstance(month, datetime) else month
        monthly[row["channel"]][month] = row["n"]
    for summary in summaries.values():
        summary.activities.sort(key=lambda item: (-item[1], item[0]))
        first = min([case.search_from, *(d.astimezone(zone).date() for d in [summary.first] if d)])
        last = max([case.search_to, *(d.astimezone(zone).date() for d in [summary.last] if d)])
        months = months_between(first, last)
        counts = monthly[summary.channel]
        summary.chart_svg = monthly_chart_svg(
            counts, months, title=chart_description(summary.words, counts, months)
        )
        summary.month_rows = month_table(counts, months)
    return list(summaries.values())


def chart_description(words: str, counts: dict[date, int], months: list[date]) -> str:
    """The chart's text alternative: what it shows and its extremes; the numbers are in the
    table beside it."""
    text = _("Bar chart of your %(channel)s events per month, %(first)s to %(last)s.") % {
        "channel": words,
        "first": month_year(months[0]),
        "last": month_year(months[-1]),
    }
    if counts:
        busiest = max(counts, key=lambda m: (counts[m], -m.toordinal()))
        text += " " + ngettext(
            "The busiest month was %(month)s with %(count)s event.",
            "The busiest month was %(month)s with %(count)s events.",
            counts[busiest],
        ) % {"month": month_year(busiest), "count": number(counts[busiest])}
    else:
        text += " " + _("There were no events.")
    return text + " " + _("The table below gives the number for every month.")


def month_table(
    counts: dict[date, int], months: list[date]
) -> list[tuple[int, list[int | None], int]]:
    """One row per year: the count of each month (None for months outside the period)."""
    rows: dict[int, list[int | None]] = {}
    for month in months:
        rows.setdefault(month.year, [None] * 12)[month.month - 1] = counts.get(month, 0)
    return [(year, values, sum(v or 0 for v in values)) for year, values in rows.items()]


def glossary(case: Case) -> list[tuple[str, str]]:
    """An entry for every activity that occurs (and each kind of bounce that occurs)."""
    activities = sorted(set(case.events.order_by().values_list("activity", flat=True).distinct()))
    entries = []
    for name in activities:
        _verb, meaning = ACTIVITIES.get(name.lower(), ("", ""))
        entries.append(
            (
                name,
                str(meaning)
                or _(
                    "An activity Netcore recorded under the name “%(name)s”. Netcore does not "
                    "describe it further; ask us and we will find out what it means for you."
                )
                % {"name": name},
            )
        )
    kinds = (
        case.events.order_by()
        .filter(raw__has_key="bounce_type")
        .values_list("raw__bounce_type", flat=True)
        .distinct()
    )
    for kind in sorted({str(k).lower() for k in kinds}):
        if kind in ("soft", "hard"):
            term = f"{EXTRA_FIELD_LABELS['bounce_type']}: {kind}"  # Netcore's word stays
            meaning = (
                _("Temporary: delivery may work later.")
                if kind == "soft"
                else _("Permanent: the address cannot receive mail.")
            )
            entries.append((term, meaning))
    return entries


# The listing and the message layer stream events in these orders (undated ones last).
def events_in_report_order(case: Case) -> Iterator[ActivityEvent]:
    """Every event of the case, per channel in time order, streamed."""
    return (
        ActivityEvent.objects.filter(case=case)
        .annotate(primary_key=F("window__primary_key"))
        .order_by("channel", F("occurred_at").asc(nulls_last=True), "id")
        .iterator(chunk_size=2000)
    )


def events_by_message(case: Case) -> Iterator[ActivityEvent]:
    """Every event, per channel, message by message (in the order of each message's first
    event), and in time order within a message; streamed."""
    message = [F("channel"), F("message_id"), F("message_name")]
    return (
        ActivityEvent.objects.filter(case=case)
        .annotate(
            primary_key=F("window__primary_key"),
            message_first=Window(Min("occurred_at"), partition_by=message),
        )
        .order_by(
            "channel",
            F("message_first").asc(nulls_last=True),
            "message_id",
            "message_name",
            F("occurred_at").asc(nulls_last=True),
            "id",
        )
        .iterator(chunk_size=2000)
    )


def _one_line(text: str) -> str:
    # Line breaks inside values would break the compact layout: show them as spaces.
    return text.replace("\r", " ").replace("\n", " ")


def _stamp(
    moment: datetime | None, zone: ZoneInfo, previous: datetime | None, months: list[str]
) -> str:
    """A time in `zone`, as short as the previous one allows: "18:07", "4 Jan 18:07" or
    "4 Jan 2025 18:07" (`months`: the current language's short month names)."""
    if moment is None:
        return str(UNDATED)
    local = moment.astimezone(zone)
    before = previous.astimezone(zone) if previous else None
    if before and before.date() == local.date():
        return f"{local:%H:%M}"
    if before and before.year == local.year:
        return f"{local.day} {months[local.month - 1]} {local:%H:%M}"
    return f"{short_day(local.date())} {local:%H:%M}"


def _event_detail(event: ActivityEvent) -> str:
    """What makes an event of a timeline more than its verb: bounce type and reason."""
    raw = event.raw if isinstance(event.raw, dict) else {}
    reason = next((raw[k] for k in ("bounce_reason", "reason") if raw.get(k)), "")
    kind = raw.get("bounce_type", "")
    detail = str(reason) if reason else ""
    if kind:
        detail = f"{detail} ({kind})" if detail else f"({kind})"
    return detail


@dataclass
class MessageEntry:
    """One message of the message layer: its events in time order, folded into steps."""

    channel: str
    message_id: str
    message_name: str
    recipients: list[str] = field(default_factory=list)
    events: int = 0
    # Steps: (verb and detail, [(moment, records at that minute)]).
    steps: list[tuple[str, list[tuple[datetime | None, int]]]] = field(default_factory=list)

    def add(self, event: ActivityEvent) -> None:
        self.events += 1
        recipient = getattr(event, "primary_key", "")
        if recipient and recipient not in self.recipients:
            self.recipients.append(recipient)
        what = activity_verb(event.activity)
        detail = _event_detail(event)
        if detail:  # "bounced: mailbox full (soft)", or "bounced (soft)" without a reason
            what += f" {detail}" if detail.startswith("(") else f": {detail}"
        if not self.steps or self.steps[-1][0] != what:
            self.steps.append((what, []))
        times = self.steps[-1][1]
        if times and times[-1][0] == event.occurred_at:
            times[-1] = (event.occurred_at, times[-1][1] + 1)
        else:
            times.append((event.occurred_at, 1))

    def html(self, zone: ZoneInfo) -> str:
        """The entry as one paragraph, every value escaped."""
        name = (
            ISOLATE.format(escape(_one_line(self.message_name)))
            if self.message_name
            else escape(_("A message without a name"))
        )
        title = f"{name} #{escape(_one_line(self.message_id))}" if self.message_id else name
        months = month_abbreviations()
        previous = None
        parts = []
        for what, times in self.steps:
            stamps = []
            for moment, records in times:
                stamp = _stamp(moment, zone, previous, months)
                previous = moment or previous
                if records > 1:
                    stamp += " (" + _("%(count)s records") % {"count": number(records)} + ")"
                stamps.append(stamp)
            parts.append(f"{escape(_one_line(what))} {', '.join(stamps)}")
        to = ", ".join(escape(_one_line(r)) for r in self.recipients)
        timeline = " → ".join(parts)
        # Our own wording around the escaped recipients.
        lead = _("to %(recipients)s") % {"recipients": to} + " · " if to else ""
        return f'<p class="m"><b>{title}</b> · {lead}{timeline}</p>\n'


def message_entries(events: Iterable[ActivityEvent]) -> Iterator[MessageEntry]:
    """Fold events (in `events_by_message` order) into one entry per message."""
    entry = None
    for event in events:
        key = (event.channel, str(event.message_id), event.message_name)
        if entry is None or key != (entry.channel, entry.message_id, entry.message_name):
            if entry is not None:
                yield entry
            entry = MessageEntry(*key)
        entry.add(event)
    if entry is not None:
        yield entry


def device_words(event: ActivityEvent) -> str:
    """Device, system and browser in plain words, Netcore's own word in brackets when it
    differs: "computer (DESKTOP), Unix-like system (UNIX), Google Chrome"."""
    words = []
    for value, plain in (
        (event.device, plain_device(event.device)),
        (event.os, plain_system(event.os)),
        (event.browser, event.browser),
    ):
        if value:
            words.append(escape(plain) if plain == value else f"{escape(plain)} ({escape(value)})")
    return ", ".join(words)


def event_html(number: int, event: ActivityEvent, zone: ZoneInfo) -> str:
    """One event of the annex: a paragraph with every field Netcore sent, every value escaped.

    Built here rather than in a template loop because it runs once per event (up to hundreds of
    thousands); plain text in one paragraph is also what WeasyPrint lays out fastest, and short
    labels (explained in the glossary) keep an event on one line.
    """
    if event.occurred_at:
        local = event.occurred_at.astimezone(zone)
        when = f"{short_day(local.date())} {local:%H:%M}"
    else:
        when = str(UNDATED)
    head = f"#{number} {when} {escape(event.activity)}"
    parts, device_shown = [], False
    for record_field in RECORD_FIELDS:
        name = record_field.name
        value = getattr(event, name)
        if name in ANNEX_ELSEWHERE or not value:
            continue
        if name in DEVICE_FIELDS:
            if not device_shown:
                parts.append(device_words(event))
                device_shown = True
            continue
        form = str(ANNEX_FORMS.get(name, record_field.label + ": {}"))
        parts.append(form.format(escape(value)))
    for key, value in other_fields(event).items():
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        label = EXTRA_FIELD_LABELS.get(key)
        parts.append(
            f"{label}: {escape(text)}" if label else f"{_('other')}: {escape(key)}: {escape(text)}"
        )
    if event.activity_date_raw:
        parts.append(_("recorded %(time)s") % {"time": escape(event.activity_date_raw)})
    body = _one_line(" · ".join(parts))
    # No inline markup: each would be one more element in the structure tree, per event.
    return f'<p class="ev">{_one_line(head)} · {body}</p>\n'


def regime_sections(
    case: Case, profile: OrganisationProfile, coverage: Coverage, transfer: str
) -> list[tuple[str, str]]:
    """(heading, text) for each item of information the case's regime requires in the answer
    (cases/regimes.py AnswerRules), in the law's order, from the organisation's texts (in the
    case's language: `profile` is `in_language`'s) and what this report holds."""
    events = _("Sections 3 to 5 of this report, and the JSON and CSV files attached to it.")
    records = (
        _(
            "We hold records of the marketing messages we sent you and of what happened to "
            "them: section 3 sums them up, sections 4 and 5 list every one."
        )
        if case.events.exists()
        else _(
            "We hold no record of marketing messages sent to you for the identifiers, channels "
            "and period searched (section 2)."
        )
    )
    criteria = _(
        "We searched the identifiers, channels and period in section 2, in Netcore and in each "
        "of our other systems listed there."
    )
    texts = {
        "purposes": profile.purposes,
        "purpose": profile.purposes,
        "categories": profile.categories,
        "recipients": profile.recipients,
        "third_parties": profile.recipients,
        "retention": profile.retention,
        "rights": profile.rights,
        "complaint": f"{profile.complaint}\n{profile.supervisory_authority}",
        "source": profile.source,
        "sources": profile.source,
        "origin": profile.source,
        "automated_decisions": profile.automated_decisions,
        "transfers": transfer,
        "summary": f"{profile.categories}\n{profile.purposes}\n{records}",
        "shared_with": "\n".join(
            [
                profile.recipients,
                _("What we shared with %(held_by)s: the data in sections 3 to 5 of this report.")
                % {"held_by": "; ".join(c.label for c in coverage.data_centres) or "Netcore Cloud"},
            ]
        ),
        "specific_pieces": events,
        "records": records,
        "criteria": f"{criteria}\n{profile.automated_decisions}",
    }
    answer = REGIMES[case.regime].answer
    return [(str(answer.report_wording[key]), texts[key]) for key in answer.required_sections]
