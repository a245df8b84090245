"""Deadline reminders sent to officers (the row is the claim that makes each one happen once)."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from .case import Case


class DeadlineReminder(models.Model):
    """A deadline reminder sent about a case on a day: the claim that makes it at most one."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="reminders")
    day = models.DateField()
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-day", "case_id"]
        constraints = [
            models.UniqueConstraint(fields=["case", "day"], name="one_reminder_per_case_and_day")
        ]

    def __str__(self) -> str:
        return f"Reminder about {self.case_id} on {self.day}"
