"""The organisation answering requests: who the controller is, the Art. 15 information every
report carries unless the profile says otherwise, its default time zone, and the other systems
that may hold a subject's data (each case records what was found in each)."""

import copy
import hashlib
import json

from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from netcore.models import validate_timezone

from ..languages import ENGLISH, LANGUAGE_CHOICES, LANGUAGE_NAMES
from ..regimes import DEFAULT_REGIME, DPDP, REGIME_CHOICES, REGIMES

ART15_DEFAULTS = {
    "controller_name": "Example Marketing Ltd",
    "controller_address": "1 Example Street\nLondon EC1A 1AA\nUnited Kingdom",
    "dpo_contact": (
        "Data Protection Officer\nprivacy@example.com\n1 Example Street, London EC1A 1AA"
    ),
    "supervisory_authority": (
        "Information Commissioner's Office, Wycliffe House, Water Lane, Wilmslow, Cheshire "
        "SK9 5AF, United Kingdom (ico.org.uk). You may also complain to the supervisory "
        "authority of the country where you live or work, or where you think the law was broken."
    ),
    "purposes": (
        "We use this data to send you the marketing emails and text messages you agreed to "
        "receive, to stop sending them when you ask us to, and to measure which messages were "
        "delivered, opened and clicked so that we send fewer, more relevant messages."
    ),
    "categories": (
        "Your contact identifiers (email address or mobile number); the messages sent to you; "
        "the activity Netcore recorded for each message (sent, delivered, opened, clicked, "
        "bounced, unsubscribed and similar); and, for opens and clicks, the IP address, device, "
        "operating system, browser and the link you followed."
    ),
    "recipients": (
        "Netcore Cloud, our email and SMS service provider, processes this data on our behalf "
        "under a data processing agreement. We do not sell it or share it with other companies "
        "for their own marketing."
    ),
    "retention": (
        "We keep message activity for 24 months after the message was sent, then delete it. "
        "We keep a record of an unsubscribe for as long as needed to respect it."
    ),
    "rights": (
        "You may ask us to correct data that is wrong (rectification), to delete it (erasure), "
        "to limit how we use it (restriction), and you may object at any time to its use for "
        "direct marketing, in which case we stop. Write to the Data Protection Officer above."
    ),
    "complaint": (
        "If you are unhappy with how we handled your data, you have the right to lodge a "
        "complaint with a supervisory authority:"
    ),
    "source": (
        "You gave us your contact details when you signed up; the activity data is recorded "
        "automatically by Netcore when our messages are sent to you and when you interact "
        "with them."
    ),
    "automated_decisions": (
        "We do not make decisions about you based solely on automated processing, including "
        "profiling, that have legal or similarly significant effects on you."
    ),
    "transfers": (
        "the standard contractual clauses approved for this purpose (Art. 46(2)(c)); you may "
        "ask us for a copy"
    ),
    "signatory": "The Data Protection Officer",
}


class OrganisationProfile(models.Model):
    """Who the controller is and the Art. 15 information every report carries (a single row)."""

    controller_name = models.CharField(max_length=200, default=ART15_DEFAULTS["controller_name"])
    controller_address = models.TextField(default=ART15_DEFAULTS["controller_address"])
    dpo_contact = models.TextField(
        "DPO contact", default=ART15_DEFAULTS["dpo_contact"], help_text="Name, email and address."
    )
    dpo_email = models.EmailField(
        "DPO email",
        default="privacy@example.com",
        help_text="Emails to subjects come from this address, and their replies go to it.",
    )
    supervisory_authority = models.TextField(default=ART15_DEFAULTS["supervisory_authority"])
    purposes = models.TextField("purposes (Art. 15(1)(a))", default=ART15_DEFAULTS["purposes"])
    categories = models.TextField(
        "categories of data (Art. 15(1)(b))", default=ART15_DEFAULTS["categories"]
    )
    recipients = models.TextField(
        "recipients (Art. 15(1)(c))", default=ART15_DEFAULTS["recipients"]
    )
    retention = models.TextField(
        "retention period (Art. 15(1)(d))", default=ART15_DEFAULTS["retention"]
    )
    rights = models.TextField(
        "rectification, erasure, restriction, objection (Art. 15(1)(e))",
        default=ART15_DEFAULTS["rights"],
    )
    complaint = models.TextField(
        "right to complain (Art. 15(1)(f))", default=ART15_DEFAULTS["complaint"]
    )
    source = models.TextField("source (Art. 15(1)(g))", default=ART15_DEFAULTS["source"])
    automated_decisions = models.TextField(
        "automated decision-making (Art. 15(1)(h))", default=ART15_DEFAULTS["automated_decisions"]
    )
    transfers = models.TextField(
        "safeguard for transfers (Art. 15(2))",
        default=ART15_DEFAULTS["transfers"],
        help_text="Named in the report when data was held in Netcore's India or US data centre "
        "(a transfer outside the UK and EEA), completing “This transfer is protected by …”.",
    )
    default_timezone = models.CharField(
        "default time zone",
        max_length=64,
        default="Europe/London",
        validators=[validate_timezone],
        help_text="The reports' times are in this zone unless a case names another (IANA name).",
    )
    signatory = models.CharField(
        max_length=200,
        default=ART15_DEFAULTS["signatory"],
        help_text="Who signs the cover letter.",
    )
    default_regime = models.CharField(
        max_length=10,
        choices=REGIME_CHOICES,
        default=DEFAULT_REGIME,
        help_text="The law new requests are logged under unless the officer chooses another.",
    )
    dpdp_response_days = models.PositiveSmallIntegerField(
        "DPDP response period (days)",
        default=REGIMES[DPDP].response.days,
        validators=[MinValueValidator(1), MaxValueValidator(REGIMES[DPDP].response.days)],
        help_text=(
            "The period you publish for answering Data Principals under Rule 14(3) of the DPDP "
            f"Rules 2025: at most {REGIMES[DPDP].response.days} days. Applies to DPDP cases "
            "logged after a change."
        ),
    )
    default_language = models.CharField(
        max_length=5,
        choices=LANGUAGE_CHOICES,
        default=ENGLISH,
        help_text="The language new requests are answered in unless the officer chooses another.",
    )
    translations = models.JSONField(
        "Art. 15 texts in other languages",
        default=dict,
        blank=True,
        help_text=(
            "Per language code (de, fr, es, hi), the texts above in that language, by field name, "
            'e.g. {"de": {"purposes": "…", "retention": "…"}}. Fields: '
            "supervisory_authority, purposes, categories, recipients, retention, rights, "
            "complaint, source, automated_decisions, transfers, signatory, dpo_contact. A text "
            "left out is given in English, and the officer is warned before sending."
        ),
    )
    updated_at = models.DateTimeField(auto_now=True)

    # The texts the report shows the subject in their language (the rest are names and
    # addresses, the same in every language).
    TRANSLATED_FIELDS = (
        "dpo_contact",
        "supervisory_authority",
        "purposes",
        "categories",
        "recipients",
        "retention",
        "rights",
        "complaint",
        "source",
        "automated_decisions",
        "transfers",
        "signatory",
    )

    class Meta:
        verbose_name = "organisation profile"

    def __str__(self) -> str:
        return self.controller_name

    def save(self, *args, **kwargs):
        self.pk = 1  # one organisation, one row
        super().save(*args, **kwargs)

    @classmethod
    def load(cls) -> "OrganisationProfile":
        """The profile, created with the defaults the first time it is asked for."""
        profile, _ = cls.objects.get_or_create(pk=1)
        return profile

    @classmethod
    def current(cls) -> "OrganisationProfile":
        """The profile as it stands, or its defaults when none was saved (no row is created)."""
        return cls.objects.filter(pk=1).first() or cls()

    def clean(self) -> None:
        super().clean()
        texts = self.translations
        if not isinstance(texts, dict):
            raise ValidationError({"translations": "Give an object keyed by language code."})
        for language, fields in texts.items():
            if language not in LANGUAGE_NAMES or language == ENGLISH:
                others = ", ".join(c for c in LANGUAGE_NAMES if c != ENGLISH)
                raise ValidationError(
                    {"translations": f"{language!r} is not a language of ours ({others})."}
                )
            if not isinstance(fields, dict):
                raise ValidationError({"translations": f"{language}: give field: text pairs."})
            for name, text in fields.items():
                if name not in self.TRANSLATED_FIELDS:
                    raise ValidationError(
                        {"translations": f"{language}: {name!r} is not a translated field."}
                    )
                if not isinstance(text, str):
                    raise ValidationError({"translations": f"{language}.{name}: give a text."})

    def untranslated_fields(self, language: str) -> list[str]:
        """The translated fields that have no text in `language` (none for English)."""
        if language == ENGLISH:
            return []
        texts = (self.translations or {}).get(language) or {}
        return [name for name in self.TRANSLATED_FIELDS if not str(texts.get(name, "")).strip()]

    def field_label(self, name: str) -> str:
        return str(self._meta.get_field(name).verbose_name)

    def in_language(self, language: str) -> "OrganisationProfile":
        """A copy (never saved) whose texts are those of `language`, English where it has none."""
        texts = (self.translations or {}).get(language) or {}
        translated = copy.copy(self)
        for name in self.TRANSLATED_FIELDS:
            if str(texts.get(name, "")).strip():
                setattr(translated, name, texts[name])
        return translated

    @property
    def is_default(self) -> bool:
        """True while the controller is still the placeholder: reports would name the wrong one."""
        return self.controller_name == ART15_DEFAULTS["controller_name"]


class OtherSystem(models.Model):
    """A system besides Netcore that may hold a subject's data (CRM, shop, support desk…). Each
    case records, per active system, what was found before its report can be generated."""

    name = models.CharField(max_length=120, unique=True)
    holds = models.CharField(
        "what it may hold",
        max_length=300,
        blank=True,
        help_text="In the subject's words, e.g. “orders and delivery addresses”.",
    )
    active = models.BooleanField(
        default=True, help_text="Inactive systems are no longer asked about in new reports."
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "name"]
        verbose_name = "other system"

    def __str__(self) -> str:
        return self.name


class ProfileSnapshot(models.Model):
    """The organisation profile as a report version used it, frozen: every editable field with its
    label and value (new fields of the profile are included without change here). Identical
    profiles share one snapshot, named by the SHA-256 of its content, which the version's audit
    entry records; snapshots are never changed or deleted (retention keeps them: no personal
    data)."""

    sha256 = models.CharField("SHA-256", max_length=64, unique=True, editable=False)
    content = models.JSONField(editable=False, help_text="[{field, label, value}, ...] in order.")
    taken_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-taken_at"]

    def __str__(self) -> str:
        return f"profile snapshot {self.sha256[:12]} ({self.taken_at:%Y-%m-%d})"

    @staticmethod
    def content_of(profile: OrganisationProfile) -> list[dict]:
        """The profile's editable fields, labelled, as plain JSON."""
        fields = [
            {"field": f.name, "label": str(f.verbose_name), "value": f.value_from_object(profile)}
            for f in profile._meta.concrete_fields
            if f.editable and not f.primary_key
        ]
        return json.loads(json.dumps(fields, cls=DjangoJSONEncoder))

    @staticmethod
    def digest(fields: list[dict]) -> str:
        canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(canonical.encode()).hexdigest()

    @classmethod
    def take(cls, profile: OrganisationProfile) -> "ProfileSnapshot":
        """The snapshot of `profile` as it stands (made the first time this content is seen)."""
        fields = cls.content_of(profile)
        snapshot, _ = cls.objects.get_or_create(
            sha256=cls.digest(fields), defaults={"content": fields}
        )
        return snapshot

    def profile(self) -> OrganisationProfile:
        """The profile as it was (never saved): its fields with the snapshot's values."""
        names = {f.name for f in OrganisationProfile._meta.concrete_fields}
        return OrganisationProfile(
            **{item["field"]: item["value"] for item in self.content if item["field"] in names}
        )

    @property
    def intact(self) -> bool:
        """True when its content still hashes to the SHA-256 it was recorded under."""
        return self.digest(self.content) == self.sha256
