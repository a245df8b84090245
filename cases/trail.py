"""The audit trail in words: one table from each audit action to its sentence and the labels of its
details, used by the case's trail page, its CSV export and the admin's audit list.

- Every action has one entry in TRAIL: a sentence ("Olivia Officer verified the subject's
  identity: …"; "Collection started: 2 accounts, 214 windows"), the labels and formats of its
  details, and whether it is an access (a view or a download, which the trail can hide).
- An action missing from TRAIL (or an old entry) still reads as words: its label, and its details
  with their keys made into labels. Nothing is ever shown as Python or JSON data.
- Details keep every key an entry holds: the labelled ones first, in the table's order, then the
  rest.
"""

import csv
import io
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Q
from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from dsar_portal import clock

from .languages import LANGUAGE_CHOICES
from .models import (
    AuditAction,
    AuditEntry,
    Channel,
    DeliveryChannel,
    PassphraseHandoff,
    RefusalVia,
    VerificationMethod,
    WindowFailure,
)
from .regimes import REGIME_CHOICES
from .workflow import CaseStatus, WithdrawalMethod

SYSTEM_NAME = "The portal"

Format = Callable[[object], str]


def _plural(n: int, word: str, plural: str = "") -> str:
    return f"{n:,} {word if n == 1 else plural or word + 's'}"


def _choice(choices) -> Format:
    labels = dict(choices)
    return lambda value: str(labels.get(value, value))


def _day(value) -> str:
    """A date, or the day of a moment ("2026-03-03T10:00:00+00:00")."""
    try:
        return clock.format_day(date.fromisoformat(str(value)[:10]))
    except ValueError:
        return text(value)


def _range(value) -> str:
    if isinstance(value, dict):
        return f"{_day(value.get('from'))} – {_day(value.get('to'))}"
    return text(value)


def _per_channel(value) -> str:
    """{"sms": 2, "email": 3} as "Email: 3, SMS: 2": the channels in their usual order (the
    database keeps a JSON object's keys in an order of its own)."""
    if not isinstance(value, dict):
        return text(value)
    order = {channel: n for n, channel in enumerate(Channel.values)}
    ordered = sorted(value.items(), key=lambda item: (order.get(item[0], len(order)), item[0]))
    return ", ".join(f"{_channel(k)}: {text(v)}" for k, v in ordered) or "none"


def _channel(value) -> str:
    return Channel(value).label if value in Channel.values else text(value)


def _channels(value) -> str:
    return ", ".join(_channel(c) for c in value) if isinstance(value, list) else text(value)


def _count(value) -> str:
    return f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else text(value)


def _size(value) -> str:
    return filesizeformat(value) if isinstance(value, int) else text(value)


_failure = _choice(WindowFailure.choices)


def _failed_windows(value) -> str:
    """Each failed window with its class; the raw causes stay in the entry for admins."""
    if isinstance(value, list):
        return (
            "; ".join(
                f"{w.get('window', '')}: {_failure(w.get('failure') or 'netcore')}"
                if isinstance(w, dict)
                else text(w)
                for w in value
            )
            or "none"
        )
    return text(value)


def _changes(value) -> str:
    """An edit's {field: {old, new}} as "Subject email: a@x → b@x; …"."""
    if not isinstance(value, dict):
        return text(value)
    parts = []
    for name, change in value.items():
        label = FIELD_LABELS.get(name, humanize(name))
        if isinstance(change, dict) and {"old", "new"} <= set(change):
            parts.append(f"{label}: {text(change['old'])} → {text(change['new'])}")
        else:
            parts.append(f"{label}: {text(change)}")
    return "; ".join(parts)


_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def text(value) -> str:
    """Any stored detail as words: lists joined, mappings labelled, days and times in the portal's
    format, booleans as yes or no."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return f"{value:,}"
    if isinstance(value, list | tuple):
        return ", ".join(text(v) for v in value) or "none"
    if isinstance(value, dict):
        return "; ".join(f"{humanize(k)}: {text(v)}" for k, v in value.items()) or "none"
    value = str(value)
    if _ISO_DAY.match(value):
        return _day(value)
    if _ISO_TIME.match(value):
        try:
            return clock.format_time(datetime.fromisoformat(value))
        except ValueError:
            return value
    return value


def humanize(key: str) -> str:
    return str(key).replace("_", " ").strip().capitalize()


# Labels of the case's fields, for edits.
FIELD_LABELS = {
    "subject_name": "Subject name",
    "subject_email": "Subject email",
    "primary_keys": "Netcore primary keys",
    "channels": "Channels",
    "search_from": "Search from",
    "search_to": "Search to",
    "received_on": "Received",
    "due_date": "Due",
    "assigned_officer": "Officer",
    "restricted": "Restricted",
    "regime": "Law",
    "language": "Subject's language",
}

status_label = _choice(CaseStatus.choices)


@dataclass(frozen=True)
class Detail:
    key: str
    label: str
    format: Format = text


@dataclass(frozen=True)
class EntryKind:
    """How one audit action reads: `sentence(who, details)` where `who` is the person's name, or
    None when the portal itself acted."""

    sentence: Callable[[str | None, dict], str]
    details: tuple[Detail, ...] = ()
    # A view or a download: hidden from the trail unless asked for.
    access: bool = False


def _by(who: str | None, did: str, done: str) -> str:
    """'Olivia Officer did …' or, for the portal itself, '… done'."""
    return f"{who} {did}" if who else done


def _status_changed(who: str | None, d: dict) -> str:
    to, old = d.get("to"), d.get("from")
    if to == CaseStatus.REJECTED:
        return _by(who, "rejected the request", "The request was rejected")
    if to == CaseStatus.WITHDRAWN:
        how = d.get("withdrawn_via")
        how = f" ({_choice(WithdrawalMethod.choices)(how).lower()})" if how else ""
        return _by(
            who,
            f"recorded that the subject withdrew the request{how}",
            f"The subject withdrew the request{how}",
        )
    if to == CaseStatus.CLOSED:
        return _by(who, "closed the case", "The case was closed")
    if to == CaseStatus.SENT and d.get("report_version"):
        return f"The case is sent: report version {d['report_version']} reached the subject"
    move = f"from “{status_label(old)}” to “{status_label(to)}”"
    return _by(who, f"moved the case {move}", f"The case moved {move}")


def _verified(who: str | None, d: dict) -> str:
    method = _choice(VerificationMethod.choices)(d.get("method", ""))
    return _by(
        who,
        f"verified the subject's identity: {method[:1].lower()}{method[1:]}",
        f"The subject's identity was verified: {method}",
    )


def _updated(who: str | None, d: dict) -> str:
    changes = d.get("changes") if isinstance(d.get("changes"), dict) else {}
    fields = ", ".join(FIELD_LABELS.get(k, humanize(k)).lower() for k in changes) or "the request"
    return _by(who, f"changed {fields}", f"Changed {fields}")


def _collection_started(who: str | None, d: dict) -> str:
    accounts = d.get("accounts") if isinstance(d.get("accounts"), list) else []
    return (
        f"Collection started: {_plural(len(accounts), 'account')}, "
        f"{_plural(d.get('windows', 0), 'window')}"
    )


def _collection_finished(who: str | None, d: dict) -> str:
    events = d.get("events_per_channel") if isinstance(d.get("events_per_channel"), dict) else {}
    failed = d.get("failed_windows") if isinstance(d.get("failed_windows"), list) else []
    total = sum(v for v in events.values() if isinstance(v, int))
    outcome = f", {_plural(len(failed), 'window')} failed" if failed else ""
    return f"Collection finished: {_plural(total, 'event')}{outcome}"


def _events_viewed(who: str | None, d: dict) -> str:
    where = " in the admin" if d.get("via") == "admin" else ""
    return _by(
        who, f"viewed the subject's events{where}", f"The subject's events were shown{where}"
    )


def _purged(who: str | None, d: dict) -> str:
    return (
        f"Collected data and reports deleted after {_plural(d.get('retention_days', 0), 'day')} "
        f"(retention): {_plural(d.get('events', 0), 'event')}, "
        f"{_plural(d.get('reports', 0), 'report')}"
    )


def _document(d: dict) -> str:
    """What a delivery carried, as a sentence names it."""
    if d.get("document") == "refusal":
        return "the refusal letter"
    return f"report version {d.get('version')}"


def _told_via(via) -> str:
    label = dict(RefusalVia.choices).get(via)
    return label[:1].lower() + label[1:] if label else "another way"


def _case_file_produced(who: str | None, d: dict) -> str:
    kind = "JSON" if d.get("format") == "json" else "PDF"
    notes = " with the notes" if d.get("with_notes") else ""
    return _by(
        who, f"took the case file ({kind}{notes})", f"The case file was made ({kind}{notes})"
    )


def _anonymised(who: str | None, d: dict) -> str:
    return (
        f"The case was anonymised after {_plural(d.get('accountability_days', 0), 'day')} "
        f"(retention): the subject is now {d.get('pseudonym', 'a pseudonym')}, "
        f"{_plural(d.get('entries_erased', 0), 'entry', 'entries')}' personal values erased"
    )


VERSION = Detail("version", "Report version")
TRAIL: dict[str, EntryKind] = {
    AuditAction.CREATED: EntryKind(
        lambda who, d: _by(
            who,
            f"logged the request; due {_day(d.get('due_date'))}",
            f"The request was logged; due {_day(d.get('due_date'))}",
        ),
        (
            Detail("received_on", "Received", _day),
            Detail("due_date", "Due", _day),
            Detail("channels", "Channels", _channels),
            Detail("search_from", "Search from", _day),
            Detail("search_to", "Search to", _day),
            Detail("primary_key_count", "Primary keys", _count),
            Detail("assigned_officer", "Officer"),
            Detail("restricted", "Restricted"),
            Detail("regime", "Law", _choice(REGIME_CHOICES)),
            Detail("language", "Subject's language", _choice(LANGUAGE_CHOICES)),
        ),
    ),
    AuditAction.UPDATED: EntryKind(_updated, (Detail("changes", "Changes", _changes),)),
    AuditAction.IDENTITY_VERIFIED: EntryKind(
        _verified,
        (
            Detail("method", "Method", _choice(VerificationMethod.choices)),
            Detail("notes", "What was checked"),
        ),
    ),
    AuditAction.STATUS_CHANGED: EntryKind(
        _status_changed,
        (
            Detail("from", "Status before", status_label),
            Detail("to", "Status after", status_label),
            Detail("reason", "Reason"),
            Detail("withdrawn_via", "How the subject withdrew", _choice(WithdrawalMethod.choices)),
            Detail("report_version", "Report version"),
        ),
    ),
    AuditAction.EXTENDED: EntryKind(
        lambda who, d: _by(
            who,
            f"extended the deadline to {_day(d.get('new_due_date'))}",
            f"The deadline was extended to {_day(d.get('new_due_date'))}",
        ),
        (
            Detail("old_due_date", "Due before", _day),
            Detail("new_due_date", "Due now", _day),
            Detail("reason", "Reason"),
            Detail("subject_told_on", "Subject told on", _day),
        ),
    ),
    AuditAction.NOTE_ADDED: EntryKind(
        lambda who, d: _by(who, "added a note", "A note was added"), (Detail("text", "Note"),)
    ),
    AuditAction.COLLECTION_STARTED: EntryKind(
        _collection_started,
        (
            Detail("accounts", "Netcore accounts"),
            Detail("range", "Activity searched", _range),
            Detail("primary_key_count", "Primary keys", _count),
            Detail("windows", "Windows", _count),
            Detail("windows_per_channel", "Windows per channel", _per_channel),
            Detail("from_status", "Status before", status_label),
        ),
    ),
    AuditAction.COLLECTION_RETRIED: EntryKind(
        lambda who, d: _by(
            who,
            f"queued {_plural(len(d.get('windows') or []), 'failed window')} again",
            f"{_plural(len(d.get('windows') or []), 'failed window')} queued again",
        ),
        (Detail("windows", "Windows"), Detail("from_status", "Status before", status_label)),
    ),
    AuditAction.COLLECTION_FINISHED: EntryKind(
        _collection_finished,
        (
            Detail("status", "Status after", status_label),
            Detail("windows", "Windows", _count),
            Detail("events_per_channel", "Events per channel", _per_channel),
            Detail("failed_windows", "Failed windows", _failed_windows),
        ),
    ),
    AuditAction.REPORT_GENERATED: EntryKind(
        lambda who, d: (
            f"Report version {d.get('version')} made: {_plural(d.get('pages', 0), 'page')}, "
            f"{_plural(d.get('event_count', 0), 'event')}"
        ),
        (
            VERSION,
            Detail("pages", "Pages", _count),
            Detail("event_count", "Events", _count),
            Detail("size", "Size", _size),
            Detail("sha256", "SHA-256"),
            Detail("acknowledged_gaps", "Gaps stated in it"),
            Detail("language", "Language", _choice(LANGUAGE_CHOICES)),
        ),
    ),
    AuditAction.REPORT_DOWNLOADED: EntryKind(
        lambda who, d: _by(
            who,
            f"downloaded report version {d.get('version')} (PDF)",
            f"Report version {d.get('version')} was downloaded (PDF)",
        ),
        (VERSION, Detail("format", "Format", lambda v: str(v).upper())),
        access=True,
    ),
    AuditAction.EXPORT_DOWNLOADED: EntryKind(
        lambda who, d: _by(
            who,
            f"downloaded the events of report version {d.get('version')} "
            f"({str(d.get('format', '')).upper()})",
            f"The events of report version {d.get('version')} were downloaded",
        ),
        (VERSION, Detail("format", "Format", lambda v: str(v).upper())),
        access=True,
    ),
    AuditAction.REPORT_SENT: EntryKind(
        lambda who, d: _by(
            who,
            f"sent {_document(d)} to {d.get('recipient', 'the subject')}",
            f"{_document(d)[:1].upper()}{_document(d)[1:]} was sent to "
            f"{d.get('recipient', 'the subject')}",
        ),
        (
            VERSION,
            Detail("recipient", "To"),
            Detail("encrypted", "Encrypted"),
            Detail("attempts", "Attempts", _count),
            Detail("sha256", "SHA-256 of the file sent"),
        ),
    ),
    AuditAction.REPORT_SEND_FAILED: EntryKind(
        lambda who, d: f"Sending {_document(d)} failed",
        (
            VERSION,
            Detail("recipient", "To"),
            Detail("error", "Cause"),
            Detail("attempts", "Attempts", _count),
            Detail("encrypted", "Encrypted"),
            Detail("sha256", "SHA-256 of the file"),
        ),
    ),
    AuditAction.EVENTS_VIEWED: EntryKind(
        _events_viewed,
        (
            Detail("page", "Page", _count),
            Detail(
                "channel",
                "Channel",
                lambda v: _channel(v) if v else "all",
            ),
            Detail("activity", "Activity", lambda v: text(v) if v else "all"),
            Detail("via", "Where", lambda v: "the admin" if v == "admin" else text(v)),
            Detail("event", "Event"),
        ),
        access=True,
    ),
    AuditAction.TRAIL_DOWNLOADED: EntryKind(
        lambda who, d: _by(who, "downloaded this trail (CSV)", "This trail was downloaded (CSV)"),
        (Detail("entries", "Entries", _count), Detail("views_included", "Views and downloads")),
        access=True,
    ),
    AuditAction.VERIFICATION_CLEARED: EntryKind(
        lambda who, d: (
            "The identity verification no longer holds: the subject's details changed ("
            + ", ".join(FIELD_LABELS.get(k, humanize(k)).lower() for k in d.get("changed") or [])
            + ")"
        ),
        (
            Detail("changed", "Changed", lambda v: text([FIELD_LABELS.get(k, k) for k in v])),
            Detail("from", "Status before", status_label),
            Detail("to", "Status after", status_label),
        ),
    ),
    AuditAction.CLOCK_PAUSED: EntryKind(
        lambda who, d: _by(
            who,
            f"stopped the clock: a clarification was asked on {_day(d.get('asked_on'))}",
            f"The clock stopped: a clarification was asked on {_day(d.get('asked_on'))}",
        ),
        (
            Detail("asked_on", "Asked on", _day),
            Detail("question", "What was asked"),
            Detail("old_due_date", "Due before", _day),
            Detail("new_due_date", "Due now", _day),
        ),
    ),
    AuditAction.CLOCK_RESUMED: EntryKind(
        lambda who, d: _by(
            who,
            f"restarted the clock; due {_day(d.get('new_due_date'))}",
            f"The clock restarted; due {_day(d.get('new_due_date'))}",
        ),
        (
            Detail("asked_on", "Asked on", _day),
            Detail("answered_on", "Answer received on", _day),
            Detail("days_not_counted", "Days not counted", _count),
            Detail("old_due_date", "Due before", _day),
            Detail("new_due_date", "Due now", _day),
        ),
    ),
    AuditAction.SEND_REQUESTED: EntryKind(
        lambda who, d: _by(
            who,
            f"asked for report version {d.get('version')} to be sent to {d.get('recipient')}",
            f"Report version {d.get('version')} was queued for {d.get('recipient')}",
        ),
        (
            VERSION,
            Detail("recipient", "To"),
            Detail("channel", "How", _choice(DeliveryChannel.choices)),
            Detail("encrypted", "Encrypted"),
            Detail("delivery", "Delivery"),
        ),
    ),
    AuditAction.REFUSAL_SEND_REQUESTED: EntryKind(
        lambda who, d: _by(
            who,
            f"asked for the refusal letter to be sent to {d.get('recipient')}",
            f"The refusal letter was queued for {d.get('recipient')}",
        ),
        (
            Detail("recipient", "To"),
            Detail("channel", "How", _choice(DeliveryChannel.choices)),
            Detail("sha256", "SHA-256 of the letter"),
            Detail("delivery", "Delivery"),
        ),
    ),
    AuditAction.REFUSAL_GIVEN: EntryKind(
        lambda who, d: _by(
            who,
            f"recorded that the subject was told of the refusal {_told_via(d.get('via'))}",
            f"The subject was told of the refusal {_told_via(d.get('via'))}",
        ),
        (Detail("given_on", "Told on", _day), Detail("note", "Note")),
    ),
    AuditAction.PASSPHRASE_GIVEN: EntryKind(
        lambda who, d: _by(
            who,
            "recorded that the passphrase reached the subject "
            + _choice(PassphraseHandoff.choices)(d.get("via", "")).lower(),
            "The passphrase reached the subject",
        ),
        (
            Detail("via", "How", _choice(PassphraseHandoff.choices)),
            Detail("given_at", "When"),
            Detail("delivery", "Delivery"),
        ),
    ),
    AuditAction.LINK_REVOKED: EntryKind(
        lambda who, d: _by(
            who, "revoked the subject's download link", "The download link was revoked"
        ),
        (Detail("delivery", "Delivery"),),
    ),
    AuditAction.LINK_CODE_REQUESTED: EntryKind(
        lambda who, d: "The subject asked for a download code",
        (Detail("delivery", "Delivery"),),
    ),
    AuditAction.LINK_CODE_SENT: EntryKind(
        lambda who, d: "A download code was emailed to the subject",
        (Detail("delivery", "Delivery"),),
    ),
    AuditAction.LINK_CODE_WRONG: EntryKind(
        lambda who, d: "A wrong download code was entered",
        (Detail("delivery", "Delivery"),),
    ),
    AuditAction.LINK_LOCKED: EntryKind(
        lambda who, d: "The download link locked itself after too many wrong codes",
        (Detail("delivery", "Delivery"),),
    ),
    AuditAction.LINK_VIEWED: EntryKind(
        lambda who, d: "The subject opened the download page",
        (Detail("delivery", "Delivery"),),
        access=True,
    ),
    AuditAction.LINK_DOWNLOADED: EntryKind(
        lambda who, d: f"The subject downloaded their {str(d.get('detail', 'file')).upper()}",
        (Detail("detail", "File", lambda v: str(v).upper()), Detail("delivery", "Delivery")),
        access=True,
    ),
    AuditAction.REPORT_FILE_ALTERED: EntryKind(
        lambda who, d: (
            f"The {str(d.get('format', '')).upper()} of report version {d.get('version')} was not "
            f"the file made: its {d.get('purpose', 'use')} was refused"
        ),
        (
            VERSION,
            Detail("format", "File", lambda v: str(v).upper()),
            Detail("purpose", "Refused"),
            Detail("recorded_sha256", "SHA-256 when made"),
            Detail("found_sha256", "SHA-256 found"),
        ),
    ),
    AuditAction.OTHER_SYSTEMS_RECORDED: EntryKind(
        lambda who, d: _by(
            who,
            f"recorded what {_plural(len(d), 'other system')} hold for the subject",
            f"The outcome of {_plural(len(d), 'other system')} was recorded",
        ),
    ),
    AuditAction.DATA_PURGED: EntryKind(
        _purged,
        (
            Detail("retention_days", "Kept for (days)", _count),
            Detail("status", "Status", status_label),
            Detail("events", "Events deleted", _count),
            Detail("windows", "Windows deleted", _count),
            Detail("reports", "Reports deleted", _count),
            Detail("deliveries", "Deliveries deleted", _count),
            Detail("refusal_letters", "Refusal letters deleted", _count),
            Detail("files", "Files deleted", _count),
        ),
    ),
    AuditAction.TRAIL_MIGRATED: EntryKind(
        lambda who, d: "Personal values were moved beside the chain; the old head is kept",
        (
            Detail(
                "old_head",
                "Old head",
                lambda v: (
                    f"entry {v.get('sequence')}, {v.get('hash')}"
                    if isinstance(v, dict)
                    else text(v)
                ),
            ),
            Detail("values_moved", "Values moved", _count),
        ),
    ),
    AuditAction.LEGAL_HOLD_PLACED: EntryKind(
        lambda who, d: _by(who, "placed a legal hold", "A legal hold was placed"),
        (Detail("reason", "Reason"),),
    ),
    AuditAction.LEGAL_HOLD_LIFTED: EntryKind(
        lambda who, d: _by(who, "lifted the legal hold", "The legal hold was lifted"),
        (Detail("reason", "Reason"), Detail("held_since", "Held since", _day)),
    ),
    AuditAction.CASE_ANONYMISED: EntryKind(
        _anonymised,
        (
            Detail("accountability_days", "Kept for (days)", _count),
            Detail("primary_key_count", "Keys replaced", _count),
            Detail("entries_erased", "Entries erased", _count),
            Detail("notes_deleted", "Notes deleted", _count),
        ),
    ),
    AuditAction.CASE_FILE_PRODUCED: EntryKind(
        _case_file_produced,
        (
            Detail("via", "Through"),
            Detail("sha256", "SHA-256"),
            Detail("size", "Size (bytes)", _count),
        ),
    ),
    AuditAction.CASE_FILE_DOWNLOADED: EntryKind(
        lambda who, d: _by(who, "downloaded the case file", "The case file was downloaded"),
        (Detail("sha256", "SHA-256"),),
        access=True,
    ),
}
ACCESS_ACTIONS = frozenset(action for action, kind in TRAIL.items() if kind.access)


def _fallback(action: str) -> EntryKind:
    label = dict(AuditAction.choices).get(action) or humanize(action)
    return EntryKind(lambda who, d: f"{label} ({who})" if who else label)


def actor_name(entry: AuditEntry) -> str | None:
    """The acting person's name (as now, else as recorded), or None for the portal itself."""
    if entry.actor_id is None and entry.actor_label == "system":
        return None
    if entry.actor is not None:
        return entry.actor.get_full_name() or entry.actor.get_username()
    return entry.actor_label


@dataclass(frozen=True)
class TrailLine:
    entry: AuditEntry
    sentence: str
    details: list[tuple[str, str]]
    who: str
    access: bool

    @property
    def when(self) -> str:
        return clock.format_time(self.entry.created_at)


def describe(entry: AuditEntry, details: dict | None = None) -> TrailLine:
    """One entry as people read it: a sentence and its details as (label, text) pairs; the
    details are the entry's, personal values read back from beside the chain, unless given."""
    kind = TRAIL.get(entry.action) or _fallback(entry.action)
    readable = entry.readable_details if details is None else details
    details = readable if isinstance(readable, dict) else {"details": readable}
    person = actor_name(entry)
    try:
        sentence = kind.sentence(person, details)
    except (TypeError, ValueError, AttributeError):
        # An entry written before its details took their present shape still reads as words.
        sentence = _fallback(entry.action).sentence(person, details)
    labelled = [(d.label, d.format(details[d.key])) for d in kind.details if d.key in details]
    known = {d.key for d in kind.details}
    labelled += [(humanize(k), text(v)) for k, v in details.items() if k not in known]
    return TrailLine(
        entry=entry,
        sentence=sentence,
        details=labelled,
        who=person or SYSTEM_NAME,
        access=kind.access,
    )


def changes_only() -> Q:
    """A filter on audit entries leaving out views and downloads."""
    return ~Q(action__in=ACCESS_ACTIONS)


CSV_HEADER = (
    "entry",
    "time",
    "time (ISO 8601)",
    "who",
    "action",
    "what happened",
    "details",
    "view or download",
    "hash",
)
# A cell a spreadsheet would run as a formula starts with one of these: it is kept as text.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_START) else value


def csv_lines(entries: Iterable[AuditEntry]) -> Iterator[str]:
    """The trail as CSV lines (a header, then one line per entry), for streaming."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def line(row) -> str:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([_cell(str(value)) for value in row])
        return buffer.getvalue()

    yield "\ufeff" + line(CSV_HEADER)  # the BOM tells spreadsheets the file is UTF-8
    for entry in entries:
        described = describe(entry)
        yield line(
            (
                entry.sequence,
                described.when,
                timezone.localtime(entry.created_at).isoformat(),
                described.who,
                entry.action,
                described.sentence,
                "; ".join(f"{label}: {value}" for label, value in described.details),
                "yes" if described.access else "no",
                entry.hash,
            )
        )
