from django.contrib import admin
from django_otp.plugins.otp_totp.models import TOTPDevice

from .models import SignInEvent


@admin.register(SignInEvent)
class SignInEventAdmin(admin.ModelAdmin):
    """The sign-in log is read here, never edited."""

    list_display = ("created_at", "kind", "username", "user", "ip_address")
    list_filter = ("kind", "created_at")
    search_fields = ("username", "ip_address")
    date_hierarchy = "created_at"
    list_select_related = ("user",)
    readonly_fields = ("created_at", "kind", "user", "username", "ip_address", "user_agent")
    show_full_result_count = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


# django-otp's own device admin shows the secret key and its QR code: anyone who sees it can
# make the user's codes. Ours lists devices without their keys; deleting one lets its user set up
# a new authenticator at the next sign-in (a lost phone).
admin.site.unregister(TOTPDevice)


@admin.register(TOTPDevice)
class TOTPDeviceAdmin(admin.ModelAdmin):
    list_display = ("user", "name", "confirmed", "created_at", "last_used_at")
    list_filter = ("confirmed",)
    search_fields = ("user__username", "name")
    list_select_related = ("user",)
    fields = ("user", "name", "confirmed", "created_at", "last_used_at", "throttling_failure_count")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
