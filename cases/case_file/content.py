"""What the case file says: how one request was handled, from what the portal keeps of it.

It is built from the case row, its audit trail (each entry's personal values read back while they
are kept, "(erased)" once retention erased them), the organisation-profile snapshots the trail
names and, when asked for, the internal notes. It never reads the collected data (events, windows,
report files, deliveries), so it says the same after retention's data stage; after the
accountability stage it still says everything but who the subject was.

`describe_entry` is the one place an entry of the trail is put into words for the file.
"""

import contextlib
import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from cases import trail
from cases.audit import verify_case
from cases.models import (
    AuditAction,
    AuditEntry,
    Case,
    LedgerEntry,
    LedgerHead,
    ProfileSnapshot,
    ReportStatus,
    VerificationMethod,
)
from cases.workflow import CaseStatus

FORMAT_VERSION = 1
DOCUMENTS_KEPT = (
    "No copy of an identity document is kept: the portal records how identity was checked, by "
    "whom and when, never the document itself."
)
NOTE_LEFT_OUT = "(internal note: not included in this case file)"
OTHER_SYSTEMS = (
    "The portal searches Netcore CE only, in the accounts listed. Other systems are searched "
    "outside the portal; what the subject was told about them is in the organisation-profile "
    "text each report version used (below)."
)


def _label(key: str) -> str:
    return key.replace("_", " ").capitalize()


def _text(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(_text(item) for item in value) or "—"
    if isinstance(value, dict):
        return "; ".join(f"{_label(str(k))}: {_text(v)}" for k, v in value.items()) or "—"
    return str(value)


def describe_entry(entry: AuditEntry, details: dict) -> tuple[str, list[tuple[str, str]]]:
    """An entry in words, as the case's trail reads it: its sentence and its (readable)
    details, labelled."""
    line = trail.describe(entry, details)
    return line.sentence, line.details


def _dates(details: dict, *keys: str) -> dict:
    """The details with the named ISO dates and times (as the trail stores them) read back as
    dates and datetimes, for the file to show them in one format."""
    read = dict(details)
    for key in keys:
        value = read.get(key)
        if isinstance(value, str):
            # An erased value, or one that is no date, is shown as it is.
            with contextlib.suppress(ValueError):
                read[key] = (datetime if "T" in value else date).fromisoformat(value)
    return read


DUE_DATES = ("old_due_date", "new_due_date")


def _status_label(value: str) -> str:
    return CaseStatus(value).label if value in CaseStatus.values else str(value)


def _method_label(value: str) -> str:
    return VerificationMethod(value).label if value in VerificationMethod.values else str(value)


class _TrailReader:
    """One pass over the trail, each action adding to the part of the file it belongs to."""

    def __init__(self, *, notes: bool) -> None:
        self.notes = notes
        self.created: dict | None = None
        self.status_history: list[dict] = []
        self.verification_steps: list[dict] = []
        self.extensions: list[dict] = []
        self.clock: list[dict] = []
        self.collections: list[dict] = []
        self.retries: list[dict] = []
        self.outcomes: list[dict] = []
        self.reports: dict[int, dict] = {}
        self.deliveries: dict[Any, dict] = {}
        self.holds: list[dict] = []
        self.retention: dict[str, Any] = {"data_purged_at": None, "anonymised_at": None}
        self.entries: list[dict] = []

    def read(self, entry: AuditEntry) -> None:
        details = entry.readable_details
        if entry.action == AuditAction.NOTE_ADDED and not self.notes and "text" in details:
            details = {**details, "text": NOTE_LEFT_OUT}
        label, lines = describe_entry(entry, details)
        self.entries.append(
            {
                "sequence": entry.sequence,
                "at": entry.created_at,
                "actor": entry.actor_label,
                "action": entry.action,
                "label": label,
                "lines": lines,
                "details": details,
                "hashed_details": entry.details,
                "previous_hash": entry.previous_hash,
                "hash": entry.hash,
            }
        )
        handler = getattr(self, f"on_{entry.action}", None)
        if handler is not None:
            handler(entry, details)

    # One method per action that says something beyond the trail's own listing.

    def on_created(self, entry: AuditEntry, details: dict) -> None:
        self.created = {"at": entry.created_at, "by": entry.actor_label, **details}

    def on_status_changed(self, entry: AuditEntry, details: dict) -> None:
        self.status_history.append(
            {
                "at": entry.created_at,
                "by": entry.actor_label,
                "from": _status_label(details.get("from", "")),
                "to": _status_label(details.get("to", "")),
                "reason": details.get("reason", ""),
            }
        )

    def on_identity_verified(self, entry: AuditEntry, details: dict) -> None:
        self.verification_steps.append(
            {
                "at": entry.created_at,
                "by": entry.actor_label,
                "step": "Identity verified",
                "method": _method_label(details.get("method", "")),
                "notes": details.get("notes", ""),
            }
        )

    def on_verification_cleared(self, entry: AuditEntry, details: dict) -> None:
        changed = ", ".join(_label(name).lower() for name in details.get("changed", []))
        self.verification_steps.append(
            {
                "at": entry.created_at,
                "by": entry.actor_label,
                "step": "Verification undone",
                "method": "",
                "notes": f"The subject's {changed} changed after it." if changed else "",
            }
        )

    def on_extended(self, entry: AuditEntry, details: dict) -> None:
        details = _dates(details, *DUE_DATES, "extended_on", "subject_told_on")
        self.extensions.append({"at": entry.created_at, "by": entry.actor_label, **details})

    def on_clock_paused(self, entry: AuditEntry, details: dict) -> None:
        details = _dates(details, *DUE_DATES, "asked_on")
        self.clock.append(
            {"at": entry.created_at, "by": entry.actor_label, "stopped": True, **details}
        )

    def on_clock_resumed(self, entry: AuditEntry, details: dict) -> None:
        details = _dates(details, *DUE_DATES, "asked_on", "answered_on")
        self.clock.append(
            {"at": entry.created_at, "by": entry.actor_label, "stopped": False, **details}
        )

    def on_collection_started(self, entry: AuditEntry, details: dict) -> None:
        self.collections.append({"at": entry.created_at, "by": entry.actor_label, **details})

    def on_collection_retried(self, entry: AuditEntry, details: dict) -> None:
        self.retries.append({"at": entry.created_at, "by": entry.actor_label, **details})

    def on_collection_finished(self, entry: AuditEntry, details: dict) -> None:
        self.outcomes.append(
            {"at": entry.created_at, **details, "status": _status_label(details.get("status", ""))}
        )

    def on_report_generated(self, entry: AuditEntry, details: dict) -> None:
        self.reports[details.get("version")] = {
            "made_at": entry.created_at,
            "made_by": entry.actor_label,
            **details,
            "downloads": [],
            "refusals": [],
        }

    def _report(self, details: dict) -> dict:
        version = details.get("version")
        return self.reports.setdefault(
            version, {"version": version, "made_at": None, "downloads": [], "refusals": []}
        )

    def on_report_downloaded(self, entry: AuditEntry, details: dict) -> None:
        self._report(details)["downloads"].append(
            {"at": entry.created_at, "by": entry.actor_label, "format": details.get("format")}
        )

    on_export_downloaded = on_report_downloaded

    def on_report_file_altered(self, entry: AuditEntry, details: dict) -> None:
        self._report(details)["refusals"].append(
            {
                "at": entry.created_at,
                "format": details.get("format"),
                "purpose": details.get("purpose"),
            }
        )

    def _delivery(self, details: dict) -> dict:
        key = details.get("delivery")
        return self.deliveries.setdefault(
            key,
            {
                "delivery": key,
                "version": details.get("version"),
                "channel": details.get("channel", ""),
                "recipient": details.get("recipient", ""),
                "encrypted": details.get("encrypted"),
                "requested_at": None,
                "requested_by": "",
                "outcome": "requested",
                "sent_at": None,
                "attempts": None,
                "failures": [],
                "link_expires": None,
                "revoked_at": None,
                "passphrase": None,
                "subject_access": [],
            },
        )

    def on_send_requested(self, entry: AuditEntry, details: dict) -> None:
        delivery = self._delivery(details)
        delivery.update(requested_at=entry.created_at, requested_by=entry.actor_label)

    def on_report_sent(self, entry: AuditEntry, details: dict) -> None:
        delivery = self._delivery(details)
        delivery.update(
            outcome="sent",
            sent_at=entry.created_at,
            attempts=details.get("attempts"),
            link_expires=_dates(details, "link_expires").get("link_expires"),
            sha256=details.get("sha256"),
        )
        delivery["recipient"] = details.get("recipient", delivery["recipient"])

    def on_report_send_failed(self, entry: AuditEntry, details: dict) -> None:
        delivery = self._delivery(details)
        delivery["outcome"] = "failed"
        delivery["attempts"] = details.get("attempts")
        delivery["failures"].append({"at": entry.created_at, "cause": details.get("cause", "")})

    def on_link_revoked(self, entry: AuditEntry, details: dict) -> None:
        delivery = self._delivery(details)
        delivery["revoked_at"] = entry.created_at
        delivery["revoked_by"] = entry.actor_label

    def on_passphrase_given(self, entry: AuditEntry, details: dict) -> None:
        self._delivery(details)["passphrase"] = {
            "via": details.get("via"),
            "given_at": _dates(details, "given_at").get("given_at"),
            "recorded_by": entry.actor_label,
        }

    def _subject_access(self, entry: AuditEntry, details: dict) -> None:
        self._delivery(details)["subject_access"].append(
            {
                "at": entry.created_at,
                "what": entry.action_label,
                "detail": details.get("detail", ""),
            }
        )

    on_link_code_requested = on_link_code_sent = on_link_code_wrong = _subject_access
    on_link_locked = on_link_viewed = on_link_downloaded = _subject_access

    def on_legal_hold_placed(self, entry: AuditEntry, details: dict) -> None:
        self.holds.append(
            {"at": entry.created_at, "by": entry.actor_label, "placed": True, **details}
        )

    def on_legal_hold_lifted(self, entry: AuditEntry, details: dict) -> None:
        self.holds.append(
            {"at": entry.created_at, "by": entry.actor_label, "placed": False, **details}
        )

    def on_data_purged(self, entry: AuditEntry, details: dict) -> None:
        self.retention["data_purged_at"] = entry.created_at
        self.retention["data_purged"] = details

    def on_case_anonymised(self, entry: AuditEntry, details: dict) -> None:
        self.retention["anonymised_at"] = entry.created_at
        self.retention["anonymised"] = details


def _request(case: Case, reader: _TrailReader) -> dict:
    rules = case.regime_rules
    return {
        "reference": case.reference,
        "received_on": case.received_on,
        "logged_at": reader.created["at"] if reader.created else case.created_at,
        "logged_by": reader.created["by"] if reader.created else "",
        "regime": rules.label,
        "law": rules.law,
        "deadline_rule": rules.deadline_rule,
        "first_due_date": case.original_due_date,
        "due_date": case.due_date,
        "extensions": reader.extensions,
        "clock": reader.clock,
        "days_not_counted": case.days_not_counted,
        "status": case.get_status_display(),
        "status_history": reader.status_history,
        "answered_at": case.answered_at,
        "finished_at": case.finished_at,
        "assigned_officer": case.assigned_officer.get_username() if case.assigned_officer else "",
    }


def _subject(case: Case) -> dict:
    if case.anonymised_at:
        note = f"Anonymised by retention on {timezone.localtime(case.anonymised_at):%d %b %Y}."
        return {"anonymised_at": case.anonymised_at, "name": "", "email": "", "note": note}
    return {"anonymised_at": None, "name": case.subject_name, "email": case.subject_email}


def _reports(case: Case, reader: _TrailReader) -> list[dict]:
    kept = set(case.reports.filter(status=ReportStatus.READY).values_list("version", flat=True))
    wanted = {r.get("profile_sha256") for r in reader.reports.values()} - {None}
    snapshots = {s.sha256: s for s in ProfileSnapshot.objects.filter(sha256__in=wanted)}
    purged = reader.retention["data_purged_at"]
    versions = []
    for version, report in sorted(reader.reports.items(), key=lambda item: item[0] or 0):
        snapshot = snapshots.get(report.get("profile_sha256"))
        if version in kept:
            files = "kept"
        elif purged:
            files = f"deleted by retention on {timezone.localtime(purged):%d %b %Y}"
        else:
            files = "not kept"
        versions.append(
            {
                **report,
                "files": files,
                "profile": {
                    "sha256": snapshot.sha256,
                    "intact": snapshot.intact,
                    "fields": snapshot.content,
                }
                if snapshot
                else None,
            }
        )
    return versions


def _search(case: Case, reader: _TrailReader) -> dict:
    return {
        "channels": case.channel_labels(),
        "search_from": case.search_from,
        "search_to": case.search_to,
        "identifiers": list(case.primary_keys),
        "identifiers_anonymised": case.anonymised_at is not None,
        "collections": reader.collections,
        "retries": reader.retries,
        "outcomes": reader.outcomes,
        "other_systems": OTHER_SYSTEMS,
    }


def _trail(case: Case, reader: _TrailReader) -> dict:
    checked = verify_case(case.pk)
    last = reader.entries[-1] if reader.entries else None
    link = None
    if last is not None:
        link = (
            LedgerEntry.objects.filter(
                case_reference=case.reference, case_sequence=last["sequence"]
            )
            .values("sequence", "hash")
            .first()
        )
    ledger = LedgerHead.objects.filter(pk=1).values("length", "hash").first()
    return {
        "verification": {
            "ok": checked.ok,
            "entries": checked.entries,
            "redacted": checked.redacted,
            "problems": list(checked.problems),
        },
        "head": {"sequence": last["sequence"], "hash": last["hash"]} if last else None,
        "ledger_link": link,
        "ledger_head": ledger,
        "entries": reader.entries,
    }


@dataclass(frozen=True)
class CaseFile:
    reference: str
    content: dict

    def as_json(self) -> str:
        return json.dumps(self.content, cls=DjangoJSONEncoder, ensure_ascii=False, indent=1)


def build_case_file(case: Case, *, notes: bool, produced_by: str, now: datetime) -> CaseFile:
    """Everything the case file says, as plain data (JSON-ready through DjangoJSONEncoder)."""
    case = Case.objects.select_related("assigned_officer", "legal_hold_by").get(pk=case.pk)
    reader = _TrailReader(notes=notes)
    entries = case.audit_entries.select_related("values_row").order_by("sequence")
    for entry in entries.iterator(chunk_size=2000):
        reader.read(entry)
    deliveries = sorted(
        reader.deliveries.values(), key=lambda d: d["requested_at"] or d["sent_at"] or now
    )
    content = {
        "case_file": {
            "format_version": FORMAT_VERSION,
            "reference": case.reference,
            "produced_at": now,
            "produced_by": produced_by,
            "includes_notes": notes,
            "time_zone": timezone.get_current_timezone_name(),
        },
        "subject": _subject(case),
        "request": _request(case, reader),
        "legal_hold": {
            "since": case.legal_hold_since,
            "by": case.legal_hold_by.get_username() if case.legal_hold_by else "",
            "reason": case.legal_hold_reason,
            "history": reader.holds,
        },
        "identity_verification": {
            "verified": case.is_verified,
            "method": case.get_verification_method_display() if case.is_verified else "",
            "verified_at": case.verified_at,
            "steps": reader.verification_steps,
            "documents": DOCUMENTS_KEPT,
        },
        "search": _search(case, reader),
        "reports": _reports(case, reader),
        "deliveries": deliveries,
        "notes": [
            {
                "at": note.created_at,
                "by": note.author.get_username() if note.author else "",
                "text": note.text,
            }
            for note in case.notes.select_related("author")
        ]
        if notes
        else None,
        "retention": reader.retention,
        "trail": _trail(case, reader),
    }
    return CaseFile(case.reference, content)
