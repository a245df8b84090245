"""What a case found in each of the organisation's other systems (beyond Netcore): the report
states it, and a report is generated only once every active system has an outcome."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from .case import Case
from .organisation import OtherSystem


class SystemOutcome(models.TextChoices):
    NO_DATA = "no_data", "No data held"
    PROVIDED_SEPARATELY = "provided_separately", "Provided separately"
    NOT_SEARCHED = "not_searched", "Not searched"


# These outcomes need a note: how the data was provided, or why the system was not searched.
OUTCOMES_NEEDING_A_NOTE = frozenset({SystemOutcome.PROVIDED_SEPARATELY, SystemOutcome.NOT_SEARCHED})


class SystemCheck(models.Model):
    """The outcome of looking for the subject's data in one other system, for one case."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="system_checks")
    system = models.ForeignKey(OtherSystem, on_delete=models.PROTECT, related_name="checks")
    outcome = models.CharField(max_length=24, choices=SystemOutcome.choices)
    note = models.TextField(
        blank=True, help_text="How it was provided, or why it was not searched (the report says)."
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["system__position", "system__name"]
        constraints = [
            models.UniqueConstraint(fields=["case", "system"], name="one_check_per_system")
        ]

    def __str__(self) -> str:
        return f"{self.case} · {self.system}: {self.get_outcome_display()}"
