import json

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from . import access, services, trail
from .forms import LegalHoldForm
from .models import (
    ActivityEvent,
    AuditAction,
    AuditEntry,
    AuditValues,
    Case,
    CaseNote,
    DeadlineReminder,
    Delivery,
    HarvestWindow,
    LedgerEntry,
    LedgerHead,
    LinkAccess,
    OrganisationProfile,
    OtherSystem,
    PreparedCaseFile,
    ProfileSnapshot,
    RefusalLetter,
    Report,
    SystemCheck,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records of subject data and of the audit trail are looked at here, never edited."""

    # The path from this model to its case: restricted cases stay hidden from staff who may not
    # see them (cases/access.py: admins, auditors and the case's officer may).
    case_path = "case__"

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        return queryset.filter(access.visible_case_q(request.user, self.case_path))

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
    case_path = ""
    list_display = (
        "reference",
        "subject_name",
        "status",
        "regime",
        "language",
        "received_on",
        "due_date",
        "assigned_officer",
        "verified_at",
    )
    list_filter = (
        "status",
        "regime",
        "language",
        "assigned_officer",
        "received_on",
        "due_date",
        ("legal_hold_since", admin.EmptyFieldListFilter),
    )
    search_fields = ("reference", "subject_name", "subject_email", "primary_keys")
    date_hierarchy = "received_on"
    list_select_related = ("assigned_officer",)
    readonly_fields = ("legal_hold", "anonymised_at")
    inlines = [CaseNoteInline]

    @admin.display(description="legal hold")
    def legal_hold(self, case: Case) -> str:
        url = reverse("admin:cases_case_legal_hold", args=[case.pk])
        if case.on_legal_hold:
            return format_html(
                'Since {} by {}: {} (<a href="{}">lift it</a>)',
                f"{case.legal_hold_since:%d %b %Y %H:%M}",
                case.legal_hold_by or "a former user",
                case.legal_hold_reason,
                url,
            )
        if case.anonymised_at:
            return "None (anonymised)"
        return format_html('None (<a href="{}">place a legal hold</a>)', url)

    def get_urls(self):
        hold = path(
            "<path:object_id>/legal-hold/",
            self.admin_site.admin_view(self.legal_hold_view),
            name="cases_case_legal_hold",
        )
        return [hold, *super().get_urls()]

    def legal_hold_view(self, request, object_id: str):
        """Place or lift a legal hold (admins only, with a reason; audited)."""
        if not access.is_admin(request.user):
            raise PermissionDenied
        case = self.get_object(request, unquote(object_id))
        if case is None:
            raise Http404
        form = LegalHoldForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            change = (
                services.case_lift_legal_hold
                if case.on_legal_hold
                else (services.case_place_legal_hold)
            )
            try:
                change(case=case, actor=request.user, reason=form.cleaned_data["reason"])
            except services.CaseRuleError as exc:
                form.add_error(None, str(exc))
            else:
                done = "placed on" if case.on_legal_hold else "released from"
                messages.success(request, f"{case.reference} {done} legal hold.")
                return redirect("admin:cases_case_change", case.pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "case": case,
            "form": form,
            "title": f"{'Lift the' if case.on_legal_hold else 'Place a'} legal hold on "
            f"{case.reference}",
        }
        return TemplateResponse(request, "admin/cases/case/legal_hold.html", context)


@admin.register(CaseNote)
class CaseNoteAdmin(ReadOnlyAdmin):
    list_display = ("case", "author", "created_at")
    list_filter = ("created_at",)
    search_fields = ("case__reference", "text")
    list_select_related = ("case", "author")


class AuditActionFilter(admin.SimpleListFilter):
    """Filter by action, named in words (cases/trail.py), not by its code."""

    title = "what happened"
    parameter_name = "action"

    def lookups(self, request, model_admin):
        return [(action, label) for action, label in AuditAction.choices]

    def queryset(self, request, queryset):
        return queryset.filter(action=self.value()) if self.value() else queryset


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    # The same sentences and labelled details as the case's trail.
    list_display = ("case", "sequence", "created_at", "sentence", "short_hash")
    list_filter = (AuditActionFilter, "created_at")
    search_fields = ("case__reference", "actor_label", "hash")
    list_select_related = ("case", "actor", "values_row")
    fields = readonly_fields = (
        "case",
        "sequence",
        "created_at",
        "sentence",
        "details_in_words",
        "actor",
        "actor_label",
        "action",
        "hashed_details",
        "previous_hash",
        "hash",
    )

    @admin.display(description="what happened")
    def sentence(self, entry: AuditEntry) -> str:
        return trail.describe(entry).sentence

    @admin.display(description="details")
    def details_in_words(self, entry: AuditEntry) -> str:
        details = trail.describe(entry).details
        if not details:
            return "—"
        return format_html(
            '<dl class="trail-details">{}</dl>',
            format_html_join("", "<dt>{}</dt><dd>{}</dd>", details),
        )

    @admin.display(description="details as hashed (personal values as salted commitments)")
    def hashed_details(self, entry: AuditEntry) -> str:
        return format_html(
            "<pre>{}</pre>", json.dumps(entry.details, indent=2, ensure_ascii=False, sort_keys=True)
        )

    @admin.display(description="hash")
    def short_hash(self, entry: AuditEntry) -> str:
        return entry.hash[:12]


@admin.register(AuditValues)
class AuditValuesAdmin(ReadOnlyAdmin):
    """Which entries still keep personal values beside them; the values themselves are read on
    the entry's page (the salts are never shown)."""

    case_path = "entry__case__"
    list_display = ("entry", "erased_at")
    list_filter = (("erased_at", admin.EmptyFieldListFilter),)
    search_fields = ("entry__case__reference",)
    list_select_related = ("entry__case",)
    fields = readonly_fields = ("entry", "erased_at")


class AdminsOnlyReadOnlyAdmin(admin.ModelAdmin):
    """The global ledger names every case, restricted ones too: for admins' eyes, read-only."""

    def has_module_permission(self, request) -> bool:
        return access.is_admin(request.user)

    def has_view_permission(self, request, obj=None) -> bool:
        return access.is_admin(request.user)

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(LedgerEntry)
class LedgerEntryAdmin(AdminsOnlyReadOnlyAdmin):
    list_display = ("sequence", "created_at", "case_reference", "case_sequence", "short_hash")
    search_fields = ("case_reference", "hash")
    show_full_result_count = False

    @admin.display(description="hash")
    def short_hash(self, link: LedgerEntry) -> str:
        return link.hash[:12]


@admin.register(LedgerHead)
class LedgerHeadAdmin(AdminsOnlyReadOnlyAdmin):
    list_display = ("length", "hash")


@admin.register(OrganisationProfile)
class OrganisationProfileAdmin(admin.ModelAdmin):
    """The one profile: edited here, never added twice or deleted."""

    list_display = ("controller_name", "signatory", "updated_at")
    fieldsets = (
        (
            "Controller",
            {"fields": ("controller_name", "controller_address", "signatory", "default_timezone")},
        ),
        ("Contacts", {"fields": ("dpo_email", "dpo_contact", "supervisory_authority")}),
        ("Requests", {"fields": ("default_regime", "dpdp_response_days", "default_language")}),
        (
            "Article 15 information",
            {
                "fields": (
                    "purposes",
                    "categories",
                    "recipients",
                    "retention",
                    "rights",
                    "complaint",
                    "source",
                    "automated_decisions",
                    "transfers",
                    "translations",
                )
            },
        ),
    )

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def changelist_view(self, request, extra_context=None):
        # Straight to the one profile (made with the defaults on first visit).
        from django.shortcuts import redirect
        from django.urls import reverse

        profile = OrganisationProfile.load()
        return redirect(reverse("admin:cases_organisationprofile_change", args=[profile.pk]))


@admin.register(OtherSystem)
class OtherSystemAdmin(admin.ModelAdmin):
    """Systems besides Netcore that may hold a subject's data: every case records an outcome
    for each active one before its report is generated, and the report lists them."""

    list_display = ("name", "holds", "active", "position")
    list_editable = ("active", "position")


@admin.register(SystemCheck)
class SystemCheckAdmin(ReadOnlyAdmin):
    """What each case found in the other systems (recorded on the case page, audited)."""

    list_display = ("case", "system", "outcome", "recorded_by", "recorded_at")
    list_filter = ("outcome", "system")


@admin.register(PreparedCaseFile)
class PreparedCaseFileAdmin(ReadOnlyAdmin):
    """Case-file PDFs made for officers and auditors; downloaded (and audited) from the case
    page only."""

    list_display = ("case", "created_at", "requested_by", "status", "pages", "size")
    list_filter = ("status", "created_at")
    search_fields = ("case__reference",)
    list_select_related = ("case", "requested_by")
    exclude = ("file",)


@admin.register(RefusalLetter)
class RefusalLetterAdmin(ReadOnlyAdmin):
    """Refusal letters as they were sent; previewed and sent from the case page only."""

    list_display = ("case", "made_at", "made_by", "language", "size", "sha256")
    search_fields = ("case__reference",)
    list_select_related = ("case", "made_by")
    exclude = ("file",)


@admin.register(ProfileSnapshot)
class ProfileSnapshotAdmin(admin.ModelAdmin):
    """The profile's text as report versions used it: frozen, read-only."""

    list_display = ("sha256", "taken_at")
    fields = readonly_fields = ("sha256", "taken_at", "texts")

    @admin.display(description="content")
    def texts(self, snapshot: ProfileSnapshot) -> str:
        return json.dumps(snapshot.content, ensure_ascii=False, indent=1)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class DeliveryInline(admin.TabularInline):
    model = Delivery
    extra = 0
    fields = ("created_at", "recipient", "channel", "encrypted", "outcome", "cause", "sent_at")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class LinkAccessInline(admin.TabularInline):
    model = LinkAccess
    extra = 0
    fields = ("at", "action", "detail")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Report)
class ReportAdmin(ReadOnlyAdmin):
    list_display = (
        "case",
        "version",
        "status",
        "created_at",
        "generated_by",
        "event_count",
        "pages",
        "size",
        "short_sha256",
        "acknowledged_gaps",
    )
    list_filter = ("status", "acknowledged_gaps", "created_at")
    search_fields = ("case__reference", "sha256", "case__subject_name")
    date_hierarchy = "created_at"
    list_select_related = ("case", "generated_by")
    readonly_fields = (
        "case",
        "version",
        "status",
        "error",
        "created_at",
        "finished_at",
        "generated_by",
        "event_count",
        "pages",
        "size",
        "sha256",
        "acknowledged_gaps",
        "gaps_text",
        "profile_snapshot",
    )
    # The files are personal data: they are downloaded (and audited) from the case page only.
    exclude = ("file", "json_file", "csv_file")
    inlines = [DeliveryInline]

    @admin.display(description="SHA-256")
    def short_sha256(self, report: Report) -> str:
        return report.sha256[:12]


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    list_display = (
        "case",
        "report",
        "recipient",
        "channel",
        "outcome",
        "cause",
        "encrypted",
        "attempts",
        "created_at",
        "sent_at",
        "sent_by",
    )
    list_filter = ("outcome", "channel", "encrypted", "created_at")
    search_fields = ("case__reference", "recipient")
    date_hierarchy = "created_at"
    list_select_related = ("case", "report__case", "sent_by")
    # Secrets stay out: the link's hash, the code's hash, the request token.
    readonly_fields = (
        "case",
        "document",
        "report",
        "channel",
        "recipient",
        "encrypted",
        "outcome",
        "cause",
        "error",
        "attempts",
        "claim",
        "claimed_at",
        "handing_over_since",
        "next_attempt_at",
        "sent_by",
        "created_at",
        "sent_at",
        "sha256",
        "expires_at",
        "revoked_at",
        "revoked_by",
        "revoke_reason",
        "wrong_codes",
        "passphrase_given_via",
        "passphrase_given_at",
        "passphrase_given_by",
    )
    exclude = ("file", "request_token", "link_hash", "code_hash", "code_expires_at")
    inlines = [LinkAccessInline]


@admin.register(LinkAccess)
class LinkAccessAdmin(ReadOnlyAdmin):
    case_path = "delivery__case__"
    list_display = ("at", "delivery", "action", "detail")
    list_filter = ("action", "at")
    search_fields = ("delivery__case__reference",)
    list_select_related = ("delivery__case",)
    exclude = ("address_hash",)


@admin.register(HarvestWindow)
class HarvestWindowAdmin(ReadOnlyAdmin):
    list_display = (
        "case",
        "account",
        "channel",
        "start",
        "end",
        "status",
        "attempts",
        "event_count",
        "warning_count",
        "finished_at",
        "worker",
    )
    list_filter = ("status", "channel", "account")
    search_fields = ("case__reference",)
    list_select_related = ("case", "account")
    show_full_result_count = False


@admin.register(ActivityEvent)
class ActivityEventAdmin(ReadOnlyAdmin):
    list_display = ("case", "channel", "activity", "occurred_at", "message_id", "message_name")
    list_filter = ("channel", "activity")
    search_fields = ("case__reference",)
    list_select_related = ("case",)
    # Cases can hold 100,000 events: no full count, no date drill-down over all of them.
    show_full_result_count = False

    # Showing a subject's events is audited here as on the case page: once per case shown.
    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        changelist = (getattr(response, "context_data", None) or {}).get("cl")
        if changelist is not None:
            for case in {event.case for event in changelist.result_list}:
                access.record_events_view(case=case, actor=request.user, details={"via": "admin"})
        return response

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        event = self.get_object(request, unquote(object_id))
        if event is not None and response.status_code == 200:
            access.record_events_view(
                case=event.case, actor=request.user, details={"via": "admin", "event": event.pk}
            )
        return response


@admin.register(DeadlineReminder)
class DeadlineReminderAdmin(ReadOnlyAdmin):
    list_display = ("day", "case", "officer", "sent_at")
    list_filter = ("day",)
    search_fields = ("case__reference",)
    list_select_related = ("case", "officer")
