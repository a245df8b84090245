from django.contrib import admin

from .models import AuditEntry, Case, CaseNote


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records of subject data and of the audit trail are looked at here, never edited."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class CaseNoteInline(admin.TabularInline):
    model = CaseNote
    extra = 0
    fields = ("created_at", "author", "text")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Case)
class CaseAdmin(ReadOnlyAdmin):
    list_display = (
        "reference",
        "subject_name",
        "status",
        "received_on",
        "due_date",
        "assigned_officer",
        "verified_at",
    )
    list_filter = ("status", "assigned_officer", "received_on", "due_date")
    search_fields = ("reference", "subject_name", "subject_email", "primary_keys")
    date_hierarchy = "received_on"
    list_select_related = ("assigned_officer",)
    inlines = [CaseNoteInline]


@admin.register(CaseNote)
class CaseNoteAdmin(ReadOnlyAdmin):
    list_display = ("case", "author", "created_at")
    list_filter = ("created_at",)
    search_fields = ("case__reference", "text")
    list_select_related = ("case", "author")


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ("case", "sequence", "created_at", "actor_label", "action", "short_hash")
    list_filter = ("action", "created_at")
    search_fields = ("case__reference", "actor_label", "hash")
    list_select_related = ("case",)
    readonly_fields = (
        "case",
        "sequence",
        "created_at",
        "actor",
        "actor_label",
        "action",
        "details",
        "previous_hash",
        "hash",
    )

    @admin.display(description="hash")
    def short_hash(self, entry: AuditEntry) -> str:
        return entry.hash[:12]
