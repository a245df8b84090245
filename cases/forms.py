"""Forms, and the one place where a case's intake data is validated (the web form and
`manage.py create_case` both go through CaseForm)."""

import zoneinfo
from datetime import timedelta

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone

from .dashboard import DUE_FILTERS
from .models import OUTCOMES_NEEDING_A_NOTE, Case, Channel, SystemOutcome, VerificationMethod
from .services import EDITABLE_FIELDS
from .workflow import MANUAL, CaseStatus

MAX_PRIMARY_KEY_LENGTH = 255
MAX_PRIMARY_KEYS = 50
# Notes and reasons: long enough for any real explanation, short enough to refuse a flood.
MAX_TEXT_LENGTH = 5000


def time_zone_names() -> list[str]:
    return sorted(zoneinfo.available_timezones())


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


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
        widgets = {
            "search_from": DateInput(),
            "search_to": DateInput(),
            "received_on": DateInput(),
        }
        help_texts = {
            "search_from": "First day of activity to collect.",
            "search_to": "Last day of activity to collect (inclusive).",
            "received_on": "The day the request reached us; the deadline runs from it.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assigned_officer"].queryset = officers()
        self.fields["assigned_officer"].label_from_instance = lambda u: (
            u.get_full_name() or u.username
        )
        if not self.instance.pk:
            self.initial.setdefault("received_on", timezone.localdate())
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
        return cleaned


class VerifyIdentityForm(forms.Form):
    method = forms.ChoiceField(
        label="How was identity checked?", choices=VerificationMethod.choices
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


class ExtendDeadlineForm(forms.Form):
    reason = forms.CharField(
        max_length=MAX_TEXT_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Why the request needs more time (complexity or number of requests).",
    )
    subject_told_on = forms.DateField(
        label="Subject told on", widget=DateInput(), help_text="Must be within the first month."
    )


class StatusForm(forms.Form):
    status = forms.ChoiceField(choices=[(s.value, s.label) for s in MANUAL])
    reason = forms.CharField(
        required=False, max_length=MAX_TEXT_LENGTH, widget=forms.Textarea(attrs={"rows": 2})
    )


class NoteForm(forms.Form):
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
    encrypt = forms.BooleanField(
        required=False,
        label="Encrypt the PDF with a passphrase (AES-256)",
        help_text="The passphrase is shown once, here, to be given to the subject another way.",
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
