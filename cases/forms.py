"""Forms, and the one place where a case's intake data is validated (the web form and
`manage.py create_case` both go through CaseForm)."""

import zoneinfo
from collections.abc import Iterable
from datetime import date, timedelta

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone

from dsar_portal import clock
from netcore.models import NetcoreAccount

from .dashboard import DUE_FILTERS, LISTED_QUEUES
from .harvest import planning
from .models import (
    OUTCOMES_NEEDING_A_NOTE,
    Case,
    Channel,
    DeliveryChannel,
    OrganisationProfile,
    PassphraseHandoff,
    RefusalVia,
    SystemOutcome,
    VerificationMethod,
)
from .regimes import REGIME_CHOICES
from .services import EDITABLE_FIELDS
from .workflow import CaseStatus, WithdrawalMethod

MAX_PRIMARY_KEY_LENGTH = 255
MAX_PRIMARY_KEYS = 50
# Notes and reasons: long enough for any real explanation, short enough to refuse a flood.
MAX_TEXT_LENGTH = 5000
LOCKED_HELP = "Only the assigned officer or an administrator can change this."


def time_zone_names() -> list[str]:
    return sorted(zoneinfo.available_timezones())


class DateInput(forms.TextInput):
    """A day typed as "20 Nov 2026" (the browser's date picker follows its own locale)."""

    def __init__(self, attrs=None):
        super().__init__(attrs={"autocomplete": "off", "spellcheck": "false", **(attrs or {})})

    def format_value(self, value):
        if isinstance(value, date):
            return clock.format_day(value)
        return super().format_value(value)


class DayField(forms.DateField):
    """A day read as the portal writes it ("20 Nov 2026", or ISO), whatever the locale."""

    widget = DateInput
    default_error_messages = {
        "invalid": f"Enter a valid date, typed as {clock.DAY_FORMAT_HINT} (or 2026-11-20)."
    }

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, date):
            return value
        try:
            return clock.parse_day(value)
        except ValueError:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None


def day_help(text: str) -> str:
    return f"{text} Format: {clock.DAY_FORMAT_HINT}."


def officers():
    """Active users who may work cases (members of a group granting it, or superusers)."""
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(
            Q(is_superuser=True)
            | Q(groups__permissions__codename="work_case")
            | Q(user_permissions__codename="work_case")
        )
        .distinct()
        .order_by("username")
    )


def default_regime() -> str:
    """The regime a new case gets unless the officer chooses another."""
    return OrganisationProfile.current().default_regime


def default_language() -> str:
    """The language a new case is answered in unless the officer chooses another."""
    return OrganisationProfile.current().default_language


class PrimaryKeysField(forms.CharField):
    """One Netcore primary key per line (email address, phone number or customer id)."""

    widget = forms.Textarea(attrs={"rows": 3})

    def to_python(self, value) -> list[str]:
        lines = value if isinstance(value, list | tuple) else (value or "").splitlines()
        keys: list[str] = []
        for line in lines:
            key = line.strip()
            if key and key not in keys:
                keys.append(key)
        return keys

    def prepare_value(self, value):
        return "\n".join(value) if isinstance(value, list | tuple) else value

    def validate(self, value: list[str]) -> None:
        if not value:
            raise forms.ValidationError("Give at least one Netcore primary key.", code="required")
        if len(value) > MAX_PRIMARY_KEYS:
            raise forms.ValidationError(f"Give at most {MAX_PRIMARY_KEYS} primary keys.")
        for key in value:
            if len(key) > MAX_PRIMARY_KEY_LENGTH:
                raise forms.ValidationError(
                    f"A primary key may be at most {MAX_PRIMARY_KEY_LENGTH} characters long."
                )
            if any(ord(ch) < 32 for ch in key):
                raise forms.ValidationError("A primary key cannot contain control characters.")


class CaseForm(forms.ModelForm):
    primary_keys = PrimaryKeysField(
        label="Netcore primary keys", help_text="One per line: the subject's identities in Netcore."
    )
    channels = forms.MultipleChoiceField(
        choices=Channel.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one channel."},
    )

    class Meta:
        model = Case
        # The form edits exactly what case_create takes and case_update may change.
        fields = list(EDITABLE_FIELDS)
        field_classes = {"search_from": DayField, "search_to": DayField, "received_on": DayField}
        widgets = {
            "search_from": DateInput(),
            "search_to": DateInput(),
            "received_on": DateInput(),
        }
        help_texts = {
            "search_from": day_help("First day of activity to collect."),
            "search_to": day_help("Last day of activity to collect (inclusive)."),
            "received_on": day_help("The day the request reached us; the deadline runs from it."),
            "regime": "The law the request is answered under; it sets the deadline.",
            "language": "The subject's language: the report, the emails and the download "
            "pages are in it.",
        }

    def __init__(self, *args, locked: Iterable[str] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assigned_officer"].queryset = officers()
        self.fields["assigned_officer"].label_from_instance = lambda u: (
            u.get_full_name() or u.username
        )
        if not self.instance.pk:
            self.initial.setdefault("received_on", timezone.localdate())
            # Read when the form is shown (not the model's default), so the profile decides.
            self.initial["regime"] = default_regime
            self.initial["language"] = default_language
        # Left out, the regime or language stays as it is, or a new case gets the
        # organisation's default.
        self.fields["regime"].required = False
        self.fields["language"].required = False
        # Fields this user may not change (cases/access.py): shown as they are, what is posted
        # for them ignored.
        for name in locked:
            self.fields[name].disabled = True
            self.fields[name].help_text = LOCKED_HELP
        self.fields["subject_timezone"] = forms.ChoiceField(
            label="Subject's time zone",
            required=False,
            choices=[("", "The organisation's default"), *((z, z) for z in time_zone_names())],
            help_text="Every time in the report is given in this zone.",
        )

    def clean_received_on(self):
        received_on = self.cleaned_data["received_on"]
        if received_on > timezone.localdate():
            raise forms.ValidationError("The date received cannot be in the future.")
        return received_on

    def clean_regime(self):
        # Empty for a new case: case_create gives it the profile's default regime.
        regime = self.cleaned_data["regime"]
        return regime or (self.instance.regime if self.instance.pk else "")

    def clean_language(self):
        # Empty for a new case: case_create gives it the profile's default language.
        language = self.cleaned_data["language"]
        return language or (self.instance.language if self.instance.pk else "")

    def clean_search_to(self):
        search_to = self.cleaned_data["search_to"]
        if search_to > timezone.localdate():
            raise forms.ValidationError("The search cannot end in the future.")
        return search_to

    def clean_search_from(self):
        search_from = self.cleaned_data["search_from"]
        if search_from > timezone.localdate():
            raise forms.ValidationError("The search cannot start in the future.")
        return search_from

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("search_from"), cleaned.get("search_to")
        if start and end:
            if start > end:
                self.add_error("search_to", "The search must end on or after the day it starts.")
            elif end - start > timedelta(days=settings.CASE_MAX_RANGE_DAYS - 1):
                self.add_error(
                    "search_from",
                    f"The search may span at most {settings.CASE_MAX_RANGE_DAYS} days.",
                )
        keys, channels = cleaned.get("primary_keys"), cleaned.get("channels")
        if start and end and keys and channels and not self.errors:
            try:
                planning.check_plan_size(
                    primary_keys=keys,
                    channels=channels,
                    search_from=start,
                    search_to=end,
                    accounts=list(NetcoreAccount.objects.filter(active=True).only("window_days")),
                )
            except planning.PlanTooLarge as exc:
                self.add_error(None, str(exc))
        return cleaned


class CasePageForm(forms.Form):
    """A form of the case page: its ids start with its own name, so no two forms on a page share
    an id (and every field keeps its label)."""

    id_prefix = ""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", f"id_{self.id_prefix}_%s")
        super().__init__(*args, **kwargs)


class VerifyIdentityForm(CasePageForm):
    id_prefix = "verify"
    method = forms.ChoiceField(
        label="How was identity checked?",
        choices=[("", "Choose…"), *VerificationMethod.choices],
    )
    notes = forms.CharField(
        required=False,
        max_length=MAX_TEXT_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="What was checked. Never attach or paste an identity document.",
    )

    def clean(self):
        cleaned = super().clean()
        if (
            cleaned.get("method") == VerificationMethod.OTHER
            and not cleaned.get("notes", "").strip()
        ):
            self.add_error("notes", "Describe the check when the method is “Other”.")
        return cleaned


class ExtendDeadlineForm(CasePageForm):
    id_prefix = "extend"
    reason = forms.CharField(
        max_length=MAX_TEXT_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Why the request needs more time (complexity or number of requests).",
    )
    subject_told_on = DayField(
        label="Subject told on",
        help_text=day_help("Within the first period: by the first deadline."),
    )


class PauseClockForm(CasePageForm):
    id_prefix = "pause"
    asked_on = DayField(
        label="Clarification asked for on",
        help_text=day_help(
            "The day we asked the subject which information or processing they mean."
        ),
    )
    question = forms.CharField(
        label="What was asked",
        max_length=MAX_TEXT_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ResumeClockForm(CasePageForm):
    id_prefix = "resume"
    answered_on = DayField(
        label="Answer received on",
        help_text=day_help(
            "The days from asking to this one, both included, are added to the deadline."
        ),
    )


class StatusForm(CasePageForm):
    """A status an officer sets by hand. Nothing is chosen for them: each status has its own
    form (below), and the change is made only once confirmed on the next page."""

    status = forms.ChoiceField(choices=[("", "Choose…")], widget=forms.HiddenInput)
    confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)
    # The status this form sets, and its words: the disclosure's title, what confirming does,
    # and the confirming button.
    target: CaseStatus
    title = ""
    consequence = ""
    confirm_button = ""

    def __init__(self, *args, **kwargs):
        self.id_prefix = self.target.value
        kwargs.setdefault("initial", {"status": self.target.value})
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [(self.target.value, self.target.label)]

    def audit_details(self) -> dict:
        """Details of the change beyond its reason, for the audit entry."""
        return {}

    def summary(self) -> list[tuple[str, str]]:
        """What was typed, as the confirmation shows it back: (label, text) pairs."""
        shown = []
        for name, field in self.fields.items():
            if name in ("status", "confirmed"):
                continue
            value = self.cleaned_data.get(name, "")
            if isinstance(field, forms.ChoiceField):
                value = dict(field.choices).get(value, value)
            shown.append((str(field.label), str(value) or "—"))
        return shown


class RejectForm(StatusForm):
    """Refusing the request (Art. 12(4)); the reason is what the subject is told."""

    target = CaseStatus.REJECTED
    title = "Reject the request"
    confirm_button = "Yes, reject the request"
    consequence = (
        "The request is refused: no report is made or sent and the deadline stops. "
        "This cannot be undone."
    )
    reason = forms.CharField(
        label="Why the request is refused",
        max_length=MAX_TEXT_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="For example: manifestly unfounded or excessive (Art. 12(5)), or identity not "
        "established (Art. 12(6)). The subject must be told why, and of their right to complain "
        "to a supervisory authority and to seek a judicial remedy.",
    )


class WithdrawForm(StatusForm):
    target = CaseStatus.WITHDRAWN
    title = "Record a withdrawal"
    confirm_button = "Yes, record the withdrawal"
    consequence = (
        "The request is recorded as withdrawn by the subject: nothing more is collected or sent "
        "and the deadline stops. This cannot be undone."
    )
    withdrawn_via = forms.ChoiceField(
        label="How did the subject withdraw?",
        choices=[("", "Choose…"), *WithdrawalMethod.choices],
    )
    reason = forms.CharField(
        label="What the subject said",
        max_length=MAX_TEXT_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Their words, or a summary, and where the message is kept.",
    )

    def audit_details(self) -> dict:
        return {"withdrawn_via": self.cleaned_data["withdrawn_via"]}


class CloseForm(StatusForm):
    target = CaseStatus.CLOSED
    title = "Close the case"
    confirm_button = "Yes, close the case"
    consequence = "The case is closed: the subject has their answer. This cannot be undone."
    reason = forms.CharField(
        label="Closing note (optional)",
        required=False,
        max_length=MAX_TEXT_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


STATUS_FORMS = {form.target.value: form for form in (RejectForm, WithdrawForm, CloseForm)}


class NoteForm(CasePageForm):
    id_prefix = "note"
    text = forms.CharField(
        label="Add a note", widget=forms.Textarea(attrs={"rows": 3}), max_length=MAX_TEXT_LENGTH
    )


class ButtonForm(forms.Form):
    """A button with nothing to fill in (the CSRF token is checked by the middleware)."""


class CaseFilterForm(forms.Form):
    q = forms.CharField(label="Search", required=False)
    status = forms.ChoiceField(
        choices=[("", "Any status"), ("open", "Open"), *CaseStatus.choices], required=False
    )
    officer = forms.ModelChoiceField(queryset=None, required=False, empty_label="Any officer")
    due = forms.ChoiceField(
        label="Deadline", choices=[("", "Any deadline"), *DUE_FILTERS.items()], required=False
    )
    regime = forms.ChoiceField(choices=[("", "Any regime"), *REGIME_CHOICES], required=False)
    queue = forms.ChoiceField(
        label="Waiting for",
        choices=[("", "Anything"), *LISTED_QUEUES.items()],
        required=False,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["officer"].queryset = officers()
        self.fields["officer"].label_from_instance = lambda u: u.get_full_name() or u.username


class GenerateReportForm(forms.Form):
    acknowledge_gaps = forms.BooleanField(
        required=False,
        label="Send the report with the gaps stated in it",
        help_text="Part of the data could not be collected; the report will say which.",
    )


class SendReportForm(forms.Form):
    """The confirmation step's form: what the officer confirmed, and the one-time token and
    passphrase made when the step was shown (the passphrase is stored nowhere)."""

    channel = forms.ChoiceField(choices=DeliveryChannel.choices, widget=forms.HiddenInput)
    token = forms.RegexField(regex=r"^[A-Za-z0-9_-]{20,64}$", widget=forms.HiddenInput)
    passphrase = forms.RegexField(
        regex=r"^[a-z0-9]{5}(-[a-z0-9]{5}){4}$", required=False, widget=forms.HiddenInput
    )
    noted = forms.BooleanField(
        required=False,
        label="I have written the passphrase down, to give it to the subject another way",
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("channel") == DeliveryChannel.ATTACHMENT:
            if not cleaned.get("passphrase"):
                raise forms.ValidationError("The passphrase is missing: start again.")
            if not cleaned.get("noted"):
                self.add_error("noted", "Write the passphrase down first: it is not shown again.")
        return cleaned


class RefusalGivenForm(CasePageForm):
    """The refusal told to the subject another way than the portal's letter."""

    id_prefix = "refusal"
    via = forms.ChoiceField(
        label="How was the subject told?", choices=[("", "Choose…"), *RefusalVia.choices]
    )
    given_on = DayField(label="Told on", help_text=day_help("The day the subject was told."))
    note = forms.CharField(
        label="Note",
        required=False,
        max_length=MAX_TEXT_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Where a copy of what they were told is kept.",
    )

    def clean_given_on(self):
        given_on = self.cleaned_data["given_on"]
        if given_on > timezone.localdate():
            raise forms.ValidationError("The day cannot be in the future.")
        return given_on


class PassphraseHandoffForm(forms.Form):
    via = forms.ChoiceField(label="How was it given?", choices=PassphraseHandoff.choices)
    given_at = forms.DateTimeField(
        label="When",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )


class LinkCodeForm(forms.Form):
    code = forms.CharField(
        label="Code",
        max_length=20,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "spellcheck": "false"}
        ),
    )


class OtherSystemsForm(forms.Form):
    """An outcome (and a note) for each of the organisation's other systems; the view brings
    the systems and the case's current outcomes."""

    def __init__(self, *args, systems=(), checks=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.checks = checks = checks or {}
        self.systems = list(systems)
        for system in self.systems:
            check = checks.get(system.pk)
            self.fields[f"outcome_{system.pk}"] = forms.ChoiceField(
                label=system.name,
                choices=[("", "Choose…"), *SystemOutcome.choices],
                initial=check.outcome if check else "",
                help_text=system.holds,
            )
            self.fields[f"note_{system.pk}"] = forms.CharField(
                label=f"{system.name}: how it was provided, or why it was not searched",
                required=False,
                max_length=MAX_TEXT_LENGTH,
                initial=check.note if check else "",
                widget=forms.TextInput(),
            )

    def clean(self):
        cleaned = super().clean()
        for system in self.systems:
            outcome = cleaned.get(f"outcome_{system.pk}")
            note = cleaned.get(f"note_{system.pk}", "").strip()
            if outcome in OUTCOMES_NEEDING_A_NOTE and not note:
                self.add_error(
                    f"note_{system.pk}", "Say how it was provided, or why it was not searched."
                )
        return cleaned

    def rows(self):
        """(system, outcome field, note field, recorded check or None) for the template."""
        return [
            (
                system,
                self[f"outcome_{system.pk}"],
                self[f"note_{system.pk}"],
                self.checks.get(system.pk),
            )
            for system in self.systems
        ]

    def outcomes(self) -> dict[int, tuple[str, str]]:
        return {
            system.pk: (
                self.cleaned_data[f"outcome_{system.pk}"],
                self.cleaned_data.get(f"note_{system.pk}", ""),
            )
            for system in self.systems
        }


class LegalHoldForm(forms.Form):
    reason = forms.CharField(
        label="Reason",
        help_text="Why the case must be kept whole (e.g. the claim or inquiry it is evidence for), "
        "or why the hold ends.",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=MAX_TEXT_LENGTH,
    )
