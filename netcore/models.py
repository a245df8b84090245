"""Netcore CE accounts: where to call, with which key, and in which timezone dates are read.

A stored key is only ever sent to the base URL it was entered for (`api_key_base_url`): changing
an account's region or base URL requires entering the key again.
"""

import zoneinfo
from functools import cache

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from netcore import encryption
from netcore.endpoints import REGION_BASE_URLS, Region, base_url_refusal
from netcore.windows import MAX_WINDOW_DAYS

__all__ = ["REGION_BASE_URLS", "NetcoreAccount", "Region"]

MIN_API_KEY_LENGTH = 8


@cache
def _timezone_names() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def validate_timezone(name: str) -> None:
    """Accept only IANA timezone names known to this machine (e.g. "Europe/Athens")."""
    if name not in _timezone_names():
        raise ValidationError(f"{name!r} is not an IANA timezone name.", code="invalid_timezone")


def validate_api_key(value: str) -> None:
    """Refuse keys that are empty, padded or too short to be a Netcore key."""
    if value != value.strip() or len(value) < MIN_API_KEY_LENGTH:
        raise ValidationError(
            f"The API key must be at least {MIN_API_KEY_LENGTH} characters, without spaces "
            "around it.",
            code="invalid_api_key",
        )


class NetcoreAccount(models.Model):
    """One Netcore CE account. The API key is stored encrypted and never shown whole."""

    name = models.CharField(max_length=100, unique=True)
    region = models.CharField(
        max_length=2,
        choices=Region.choices,
        blank=True,
        help_text="Netcore data centre; leave empty when a base URL is given.",
    )
    base_url = models.URLField(
        "base URL",
        blank=True,
        help_text="Overrides the region (e.g. the local sandbox). Without /apiv2.",
    )
    api_key_encrypted = models.TextField(editable=False)
    api_key_last4 = models.CharField("API key (last 4)", max_length=4, editable=False)
    # The base URL in use when the key was entered: the only one the key is sent to.
    api_key_base_url = models.CharField(max_length=200, editable=False, blank=True)
    timezone = models.CharField(
        max_length=64,
        default="UTC",
        validators=[validate_timezone],
        help_text="The timezone in which Netcore reports activity dates for this account.",
    )
    window_days = models.PositiveSmallIntegerField(
        default=MAX_WINDOW_DAYS,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_WINDOW_DAYS)],
        help_text="Days asked per request (1 to 7; Netcore allows at most 7).",
    )
    max_rps = models.PositiveIntegerField(
        "max requests per second",
        default=5,
        validators=[MinValueValidator(1)],
        help_text="Shared by every worker that calls this account.",
    )
    active = models.BooleanField(default=True)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                name="netcore_account_region_xor_base_url",
                condition=(models.Q(region="") & ~models.Q(base_url=""))
                | (~models.Q(region="") & models.Q(base_url="")),
            ),
            models.CheckConstraint(
                name="netcore_account_window_days_1_to_7",
                condition=models.Q(window_days__gte=1, window_days__lte=MAX_WINDOW_DAYS),
            ),
            models.CheckConstraint(
                name="netcore_account_max_rps_positive", condition=models.Q(max_rps__gte=1)
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        if getattr(self, "_api_key_entered", False):
            self.api_key_base_url = self.effective_base_url
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "api_key_base_url"}
            self._api_key_entered = False
        super().save(*args, **kwargs)

    def clean(self) -> None:
        if bool(self.region) == bool(self.base_url):
            raise ValidationError("Give either a region or a base URL, not both and not neither.")
        if self.base_url and (refusal := base_url_refusal(self.base_url)):
            raise ValidationError({"base_url": refusal})
        if not self.api_key_encrypted:
            raise ValidationError({"api_key": "An API key is required."})
        if not self.key_matches_base_url:
            raise ValidationError(
                {
                    "api_key": "The address changed: enter the API key again. A stored key is "
                    "only ever sent to the address it was entered for."
                }
            )

    @property
    def api_key(self) -> str:
        """The decrypted API key. Pass it only to the HTTP request; never log or render it."""
        return encryption.decrypt(self.api_key_encrypted)

    @api_key.setter
    def api_key(self, value: str) -> None:
        validate_api_key(value)
        self.api_key_encrypted = encryption.encrypt(value)
        self.api_key_last4 = value[-4:]
        # Bound to the account's address when saved (after its region or URL is set too).
        self._api_key_entered = True

    @property
    def key_matches_base_url(self) -> bool:
        """True when the stored key may be sent to `effective_base_url`: it was entered for it
        (or has just been entered, and will be bound to it when saved)."""
        if getattr(self, "_api_key_entered", False):
            return True
        return bool(self.api_key_base_url) and self.api_key_base_url == self.effective_base_url

    @property
    def api_key_masked(self) -> str:
        """What may be shown of the key: "…" and its last four characters."""
        return f"…{self.api_key_last4}" if self.api_key_last4 else ""

    @property
    def effective_base_url(self) -> str:
        """The base URL to call: the override when set, else the region's documented one."""
        if self.base_url:
            return self.base_url.rstrip("/")
        return REGION_BASE_URLS[Region(self.region)]

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        """The account's timezone as a ZoneInfo."""
        return zoneinfo.ZoneInfo(self.timezone)

    def rotate_api_key_encryption(self) -> None:
        """Re-encrypt the stored key with the first FIELD_ENCRYPTION_KEY (save afterwards)."""
        self.api_key_encrypted = encryption.reencrypt(self.api_key_encrypted)
