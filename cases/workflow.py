"""The statuses a case moves through, and the only moves allowed between them."""

from django.db import models


class CaseStatus(models.TextChoices):
    RECEIVED = "received", "Received"
    IDENTITY_VERIFIED = "identity_verified", "Identity verified"
    COLLECTING = "collecting", "Collecting"
    COLLECTED = "collected", "Collected"
    COLLECTION_INCOMPLETE = "collection_incomplete", "Collection incomplete"
    REPORT_READY = "report_ready", "Report ready"
    SENT = "sent", "Sent"
    CLOSED = "closed", "Closed"
    REJECTED = "rejected", "Rejected"
    WITHDRAWN = "withdrawn", "Withdrawn"


S = CaseStatus
# Collection may start before identity is verified; sending may not (checked where it is sent).
TRANSITIONS: dict[str, frozenset[str]] = {
    S.RECEIVED: frozenset({S.IDENTITY_VERIFIED, S.COLLECTING, S.REJECTED, S.WITHDRAWN}),
    # Back to received when a change to the subject undoes the verification.
    S.IDENTITY_VERIFIED: frozenset({S.RECEIVED, S.COLLECTING, S.REJECTED, S.WITHDRAWN}),
    S.COLLECTING: frozenset({S.COLLECTED, S.COLLECTION_INCOMPLETE, S.WITHDRAWN}),
    S.COLLECTED: frozenset({S.COLLECTING, S.REPORT_READY, S.WITHDRAWN}),
    S.COLLECTION_INCOMPLETE: frozenset({S.COLLECTING, S.REPORT_READY, S.WITHDRAWN}),
    S.REPORT_READY: frozenset({S.COLLECTING, S.SENT, S.WITHDRAWN}),
    S.SENT: frozenset({S.REPORT_READY, S.CLOSED}),
    S.CLOSED: frozenset(),
    S.REJECTED: frozenset(),
    S.WITHDRAWN: frozenset(),
}
# Statuses in which the case is finished and no deadline runs.
FINISHED = frozenset({S.SENT, S.CLOSED, S.REJECTED, S.WITHDRAWN})
# Statuses in which the subject has had their answer (the report sent, or the case closed).
ANSWERED = frozenset({S.SENT, S.CLOSED})
# Statuses that need a reason recorded with the move.
NEEDS_REASON = frozenset({S.REJECTED, S.WITHDRAWN})
# Statuses an officer sets by hand on the case page; the rest follow from the work itself.
MANUAL = (S.REJECTED, S.WITHDRAWN, S.CLOSED)


class WithdrawalMethod(models.TextChoices):
    """How the subject told us they withdraw their request (recorded with the withdrawal)."""

    EMAIL = "email", "By email"
    LETTER = "letter", "By letter"
    PHONE = "phone", "By phone"
    IN_PERSON = "in_person", "In person"
    WEB_FORM = "web_form", "Through a web form"
    OTHER = "other", "Another way (described in the note)"


class TransitionNotAllowed(Exception):
    """A status change that the workflow does not allow; nothing was changed."""


def check_transition(current: str, new: str) -> None:
    if new not in TRANSITIONS.get(current, frozenset()):
        raise TransitionNotAllowed(
            f"A case cannot move from “{CaseStatus(current).label}” to “{CaseStatus(new).label}”."
        )
