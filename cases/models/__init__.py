"""The cases app's models, one module per concern; everything is importable from here."""

from .audit import GENESIS_HASH, AppendOnlyError, AuditAction, AuditEntry
from .case import Case, CaseNote, Channel, ReferenceCounter, VerificationMethod
from .harvest import ActivityEvent, HarvestWindow, WindowFailure, WindowStatus
from .organisation import ART15_DEFAULTS, OrganisationProfile
from .reminders import DeadlineReminder
from .reports import (
    Delivery,
    DeliveryOutcome,
    Report,
    ReportStatus,
    private_storage,
    report_upload_to,
)

__all__ = [
    "ART15_DEFAULTS",
    "GENESIS_HASH",
    "ActivityEvent",
    "AppendOnlyError",
    "AuditAction",
    "AuditEntry",
    "Case",
    "CaseNote",
    "Channel",
    "DeadlineReminder",
    "Delivery",
    "DeliveryOutcome",
    "HarvestWindow",
    "OrganisationProfile",
    "ReferenceCounter",
    "Report",
    "ReportStatus",
    "VerificationMethod",
    "WindowFailure",
    "WindowStatus",
    "private_storage",
    "report_upload_to",
]
