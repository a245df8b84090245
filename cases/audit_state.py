"""A case's legally relevant state as its audit trail tells it, compared with the case's row.

DERIVATIONS is the whole rule: for each audit action, what it sets (status, identity verification,
recipient, due date, extension, legal hold, and the SHA-256 of each report version's files). An
action not listed sets nothing. Whoever adds an action that changes any of these adds its line
here, or `verify_audit` reports every case it touched as changed outside the trail.

Values are kept as the trail stores them (JSON: dates and times as ISO text) and the row's are put
in the same form. A value the trail never recorded (entries written before it was) is not compared.
Personal values (the recipient, the extension's reason) are read back from beside the chain, where
each was checked against its commitment (cases/audit.py); once retention erased them they read
"(erased)" and are not compared: anonymisation's own entry then says what the row holds instead.
"""

import json
from collections.abc import Callable, Iterable
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder

from .audit_values import ERASED, MISSING
from .models import AuditAction, AuditEntry, Case, ReportStatus, pseudonym_email
from .workflow import CaseStatus

State = dict[str, Any]
# What an entry sets, from the state before it, its details and the entry itself.
Derivation = Callable[[State, dict, AuditEntry], State]
UNRECORDED = "(not recorded)"

INITIAL: State = {
    "status": UNRECORDED,
    "verified": False,
    "verification_method": "",
    "verified_by": "",
    "verified_at": None,
    "recipient": UNRECORDED,
    "due_date": UNRECORDED,
    "extended": False,
    "extended_on": None,
    "extension_reason": "",
    "subject_told_of_extension_on": None,
    "legal_hold": False,
    "reports": {},  # version -> {"pdf": sha256, "json": sha256, "csv": sha256}
}
LABELS = {
    "status": "status",
    "verified": "identity verified",
    "verification_method": "verification method",
    "verified_by": "verified by",
    "verified_at": "verified at",
    "recipient": "recipient (subject email)",
    "due_date": "due date",
    "extended": "extended",
    "extended_on": "extended on",
    "extension_reason": "extension reason",
    "subject_told_of_extension_on": "subject told of the extension on",
    "legal_hold": "legal hold",
}
# Personal or free text: named when it differs, never printed.
UNPRINTED = frozenset({"recipient", "extension_reason"})


def _created(state: State, details: dict, entry: AuditEntry) -> State:
    return {
        "status": CaseStatus.RECEIVED,
        "due_date": details["due_date"],
        "recipient": details.get("subject_email", UNRECORDED),
    }


def _updated(state: State, details: dict, entry: AuditEntry) -> State:
    changes = details["changes"]
    renamed = {"subject_email": "recipient", "due_date": "due_date"}
    return {key: changes[field]["new"] for field, key in renamed.items() if field in changes}


def _identity_verified(state: State, details: dict, entry: AuditEntry) -> State:
    moved = state["status"] == CaseStatus.RECEIVED
    return {
        "verified": True,
        "verification_method": details["method"],
        "verified_by": entry.actor_label,
        "verified_at": details.get("verified_at", UNRECORDED),
        **({"status": CaseStatus.IDENTITY_VERIFIED} if moved else {}),
    }


def _verification_cleared(state: State, details: dict, entry: AuditEntry) -> State:
    return {
        "verified": False,
        "verification_method": "",
        "verified_by": "",
        "verified_at": None,
        "status": details["to"],
    }


def _extended(state: State, details: dict, entry: AuditEntry) -> State:
    return {
        "due_date": details["new_due_date"],
        "extended": True,
        "extended_on": details.get("extended_on", UNRECORDED),
        "extension_reason": details["reason"],
        "subject_told_of_extension_on": details["subject_told_on"],
    }


def _report_generated(state: State, details: dict, entry: AuditEntry) -> State:
    files = {
        "pdf": details["sha256"],
        "json": details.get("json_sha256", UNRECORDED),
        "csv": details.get("csv_sha256", UNRECORDED),
    }
    return {"reports": {**state["reports"], str(details["version"]): files}}


def _anonymised(state: State, details: dict, entry: AuditEntry) -> State:
    # The pseudonym is no personal value: the row's new recipient can be compared again.
    return {"recipient": pseudonym_email(details["pseudonym"]), "extension_reason": ERASED}


DERIVATIONS: dict[str, Derivation] = {
    AuditAction.CREATED: _created,
    AuditAction.UPDATED: _updated,
    AuditAction.IDENTITY_VERIFIED: _identity_verified,
    AuditAction.STATUS_CHANGED: lambda state, details, entry: {"status": details["to"]},
    AuditAction.VERIFICATION_CLEARED: _verification_cleared,
    AuditAction.EXTENDED: _extended,
    AuditAction.CLOCK_PAUSED: lambda state, details, entry: {"due_date": details["new_due_date"]},
    AuditAction.CLOCK_RESUMED: lambda state, details, entry: {"due_date": details["new_due_date"]},
    AuditAction.COLLECTION_STARTED: lambda *_: {"status": CaseStatus.COLLECTING},
    AuditAction.COLLECTION_RETRIED: lambda *_: {"status": CaseStatus.COLLECTING},
    AuditAction.COLLECTION_FINISHED: lambda state, details, entry: {"status": details["status"]},
    AuditAction.REPORT_GENERATED: _report_generated,
    AuditAction.DATA_PURGED: lambda *_: {"reports": {}},
    AuditAction.LEGAL_HOLD_PLACED: lambda *_: {"legal_hold": True},
    AuditAction.LEGAL_HOLD_LIFTED: lambda *_: {"legal_hold": False},
    AuditAction.CASE_ANONYMISED: _anonymised,
}


class UnreadableEntry(Exception):
    """An entry's details lack what its action sets."""


def derive(entries: Iterable[AuditEntry]) -> State:
    """The state a chain of entries (in order) leaves a case in."""
    state = dict(INITIAL)
    for entry in entries:
        derivation = DERIVATIONS.get(entry.action)
        if derivation is None:
            continue
        try:
            state.update(derivation(state, entry.readable_details, entry))
        except (KeyError, TypeError) as exc:
            raise UnreadableEntry(f"entry #{entry.sequence} ({entry.action}) lacks {exc}") from None
    return state


def _as_stored(value: Any) -> Any:
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def row_state(case: Case) -> State:
    """The same state as the case's row (and its ready report versions) hold it."""
    verified_by = case.verified_by.get_username() if case.verified_by else ""
    if case.verified_at is not None and case.verified_by is None:
        verified_by = UNRECORDED  # the user was deleted since
    reports = case.reports.filter(status=ReportStatus.READY)
    return _as_stored(
        {
            "status": case.status,
            "verified": case.verified_at is not None,
            "verification_method": case.verification_method,
            "verified_by": verified_by,
            "verified_at": case.verified_at,
            "recipient": case.subject_email,
            "due_date": case.due_date,
            "extended": case.extended_on is not None,
            "extended_on": case.extended_on,
            "extension_reason": case.extension_reason,
            "subject_told_of_extension_on": case.subject_told_of_extension_on,
            "legal_hold": case.on_legal_hold,
            "reports": {
                str(version): {"pdf": pdf, "json": json_sha256, "csv": csv_sha256}
                for version, pdf, json_sha256, csv_sha256 in reports.values_list(
                    "version", "sha256", "json_sha256", "csv_sha256"
                )
            },
        }
    )


def _differs(row: Any, trail: Any) -> bool:
    unknown = (UNRECORDED, ERASED, MISSING)
    return row not in unknown and trail not in unknown and row != trail


def state_differences(case: Case) -> list[str]:
    """How the case's row differs from what its trail says (empty when it does not)."""
    try:
        entries = case.audit_entries.select_related("values_row").order_by("sequence")
        trail = derive(entries.iterator(chunk_size=2000))
    except UnreadableEntry as exc:
        return [f"{case.reference}: {exc}"]
    row = row_state(case)
    found = []
    for key, label in LABELS.items():
        if _differs(row[key], trail[key]):
            values = "" if key in UNPRINTED else f": {row[key]!r} in the row, {trail[key]!r} in it"
            found.append(f"{case.reference}: {label} differs from the trail{values}")
    for version in sorted(set(row["reports"]) | set(trail["reports"]), key=int):
        row_files, trail_files = row["reports"].get(version), trail["reports"].get(version)
        if row_files is None or trail_files is None:
            where = "in the trail only" if row_files is None else "not in the trail"
            found.append(f"{case.reference}: report version {version} is {where}")
            continue
        for kind in ("pdf", "json", "csv"):
            if _differs(row_files[kind], trail_files[kind]):
                found.append(
                    f"{case.reference}: report version {version}: the {kind.upper()}'s SHA-256 "
                    "differs from the one in the trail"
                )
    return found
