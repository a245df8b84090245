"""The cases app's models, one module per concern; everything is importable from here."""

from .audit import (
    GENESIS_HASH,
    AppendOnlyError,
    AuditAction,
    AuditEntry,
    AuditValues,
    LedgerEntry,
    LedgerHead,
)
from .case import Case, CaseNote, Channel, ReferenceCounter, VerificationMethod, pseudonym_email
from .case_file import PreparedCaseFile
from .harvest import ActivityEvent, HarvestWindow, WindowFailure, WindowStatus
from .organisation import ART15_DEFAULTS, OrganisationProfile, OtherSystem, ProfileSnapshot
from .reminders import DeadlineReminder
from .reports import (
    LIVE_OUTCOMES,
    Delivery,
    DeliveryCause,
    DeliveryChannel,
    DeliveryOutcome,
    DocumentKind,
    LinkAccess,
    LinkAction,
    PassphraseHandoff,
    RefusalLetter,
    RefusalVia,
    Report,
    ReportStatus,
    private_storage,
    report_upload_to,
)
from .scope import OUTCOMES_NEEDING_A_NOTE, SystemCheck, SystemOutcome

__all__ = [
    "ART15_DEFAULTS",
    "GENESIS_HASH",
    "LIVE_OUTCOMES",
    "OUTCOMES_NEEDING_A_NOTE",
    "ActivityEvent",
    "AppendOnlyError",
    "AuditAction",
    "AuditEntry",
    "AuditValues",
    "Case",
    "CaseNote",
    "Channel",
    "DeadlineReminder",
    "Delivery",
    "DeliveryCause",
    "DeliveryChannel",
    "DeliveryOutcome",
    "DocumentKind",
    "HarvestWindow",
    "LedgerEntry",
    "LedgerHead",
    "LinkAccess",
    "LinkAction",
    "OrganisationProfile",
    "OtherSystem",
    "PassphraseHandoff",
    "PreparedCaseFile",
    "ProfileSnapshot",
    "ReferenceCounter",
    "RefusalLetter",
    "RefusalVia",
    "Report",
    "ReportStatus",
    "SystemCheck",
    "SystemOutcome",
    "VerificationMethod",
    "WindowFailure",
    "WindowStatus",
    "private_storage",
    "pseudonym_email",
    "report_upload_to",
]
