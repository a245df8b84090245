from django import template

from cases.models import OrganisationProfile, ReportStatus
from cases.report import REPORTABLE, has_gaps

register = template.Library()

VERSIONS_SHOWN = 20


@register.inclusion_tag("report/panel.html", takes_context=True)
def report_panel(context):
    """The report panel of the case page: versions, downloads, generate and send."""
    case = context["case"]
    reports = list(
        case.reports.select_related("generated_by").prefetch_related("deliveries")[:VERSIONS_SHOWN]
    )
    latest_ready = next((r for r in reports if r.status == ReportStatus.READY), None)
    return {
        "case": case,
        "reports": reports,
        "latest_ready": latest_ready,
        "generating": any(r.status == ReportStatus.GENERATING for r in reports),
        "can_generate": case.status in REPORTABLE,
        "gaps": case.status in REPORTABLE and has_gaps(case),
        "can_send": latest_ready is not None and case.status in ("report_ready", "sent"),
        "can_work": context.get("can_work"),
        "profile_is_default": OrganisationProfile.load().is_default,
        "csrf_token": context.get("csrf_token"),
    }
