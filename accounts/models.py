"""The sign-in log: who signed in, who failed, who was locked out (not tied to any case)."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class SignInEventKind(models.TextChoices):
    SIGNED_IN = "signed_in", "Signed in (password)"
    FAILED = "failed", "Sign-in failed"
    LOCKED_OUT = "locked_out", "Locked out"
    SIGNED_OUT = "signed_out", "Signed out"
    TWO_FACTOR_PASSED = "two_factor_passed", "Two-factor code accepted"
    TWO_FACTOR_FAILED = "two_factor_failed", "Two-factor code refused"
    TWO_FACTOR_ENROLLED = "two_factor_enrolled", "Authenticator set up"


class AppendOnlyError(Exception):
    """Sign-in events are never changed or deleted."""


class SignInEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("Sign-in events cannot be changed.")

    def delete(self):
        raise AppendOnlyError("Sign-in events cannot be deleted.")


class SignInEvent(models.Model):
    """One sign-in, failed sign-in, lockout, sign-out or second-factor check. Append-only."""

    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    kind = models.CharField(max_length=24, choices=SignInEventKind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    # The name as typed (failed attempts may name no user), kept after a user is deleted.
    username = models.CharField(max_length=150, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)

    objects = SignInEventQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["username", "created_at"])]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.kind} {self.username}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("Sign-in events cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Sign-in events cannot be deleted.")
