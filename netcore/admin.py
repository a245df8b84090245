"""Admin for Netcore accounts: the API key is write-only and only its last four are shown."""

import zoneinfo

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError

from netcore.client import check_account
from netcore.models import NetcoreAccount


class NetcoreAccountForm(forms.ModelForm):
    api_key = forms.CharField(
        label="API key",
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )
    base_url = forms.URLField(
        label="Base URL",
        required=False,
        assume_scheme="https",
        help_text="Development and the sandbox only (NETCORE_ALLOW_CUSTOM_BASE_URL); "
        "otherwise choose a region. Without /apiv2.",
    )
    timezone = forms.ChoiceField(
        choices=[(name, name) for name in sorted(zoneinfo.available_timezones())], initial="UTC"
    )

    class Meta:
        model = NetcoreAccount
        fields = [
            "name",
            "region",
            "base_url",
            "api_key",
            "timezone",
            "window_days",
            "max_rps",
            "active",
        ]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["api_key"].help_text = (
                f"Stored key: {self.instance.api_key_masked}. Leave empty to keep it; a new "
                "region or base URL needs the key entered again."
            )
        else:
            self.fields["api_key"].required = True
            self.fields["api_key"].help_text = "Stored encrypted; never shown again."

    def clean(self) -> dict:
        cleaned = super().clean()
        # Set before the model's own validation, which requires a stored key.
        new_key = cleaned.get("api_key")
        if new_key:
            try:
                self.instance.api_key = new_key
            except ValidationError as error:
                self.add_error("api_key", error)
        return cleaned


@admin.register(NetcoreAccount)
class NetcoreAccountAdmin(admin.ModelAdmin):
    form = NetcoreAccountForm
    list_display = [
        "name",
        "region",
        "effective_base_url",
        "api_key_shown",
        "timezone",
        "window_days",
        "max_rps",
        "active",
        "updated",
    ]
    list_filter = ["active", "region", "window_days"]
    search_fields = ["name", "base_url"]
    readonly_fields = ["created", "updated"]
    actions = ["check_connection"]

    @admin.display(description="API key")
    def api_key_shown(self, account: NetcoreAccount) -> str:
        return account.api_key_masked

    @admin.display(description="base URL in use")
    def effective_base_url(self, account: NetcoreAccount) -> str:
        return account.effective_base_url

    @admin.action(description="Check connection")
    def check_connection(self, request, queryset) -> None:
        for account in queryset:
            result = check_account(account)
            level = messages.SUCCESS if result.ok else messages.ERROR
            self.message_user(request, f"{account.name}: {result.outcome} ({result.detail})", level)
