from django.urls import path

from . import views
from .case_file import views as case_file_views
from .reports import views as report_views

app_name = "cases"

urlpatterns = [
    path("", views.case_list, name="list"),
    path("new/", views.case_create, name="create"),
    path("<str:reference>/", views.case_detail, name="detail"),
    path("<str:reference>/data/", views.case_data, name="data"),
    path("<str:reference>/report/", views.case_report, name="report"),
    path("<str:reference>/trail/", views.case_trail, name="trail"),
    path("<str:reference>/trail.csv", views.case_trail_csv, name="trail_csv"),
    path("<str:reference>/notes/", views.case_notes, name="notes"),
    path("<str:reference>/edit/", views.case_edit, name="edit"),
    path("<str:reference>/verify/", views.case_verify, name="verify"),
    path("<str:reference>/extend/", views.case_extend, name="extend"),
    path("<str:reference>/clock/pause/", views.case_pause_clock, name="clock_pause"),
    path("<str:reference>/clock/resume/", views.case_resume_clock, name="clock_resume"),
    path("<str:reference>/status/", views.case_status, name="status"),
    path("<str:reference>/notes/add/", views.case_note, name="note"),
    path("<str:reference>/collect/", views.harvest_start, name="collect"),
    path("<str:reference>/collect/retry/", views.harvest_retry, name="retry_failed"),
    path("<str:reference>/progress/", views.case_progress, name="progress"),
    path("<str:reference>/other-systems/", views.case_other_systems, name="other_systems"),
    path(
        "<str:reference>/case-file.json",
        case_file_views.case_file_json_download,
        name="case_file_json",
    ),
    path(
        "<str:reference>/case-files/",
        case_file_views.case_file_prepare,
        name="case_file_prepare",
    ),
    path(
        "<str:reference>/case-files/<int:prepared_id>.pdf",
        case_file_views.case_file_pdf,
        name="case_file_pdf",
    ),
    path("<str:reference>/reports/", report_views.report_generate, name="report_generate"),
    path("<str:reference>/reports/<int:version>.pdf", report_views.report_pdf, name="report_pdf"),
    path(
        "<str:reference>/reports/<int:version>/events.<str:kind>",
        report_views.report_export,
        name="report_export",
    ),
    path(
        "<str:reference>/reports/<int:version>/send/",
        report_views.report_send,
        name="report_send",
    ),
    path(
        "<str:reference>/refusal-letter.pdf",
        report_views.refusal_letter_pdf,
        name="refusal_letter",
    ),
    path("<str:reference>/refusal/send/", report_views.refusal_send, name="refusal_send"),
    path("<str:reference>/refusal/given/", report_views.refusal_given, name="refusal_given"),
    path(
        "<str:reference>/deliveries/<int:delivery_id>/",
        report_views.delivery_detail,
        name="delivery",
    ),
    path(
        "<str:reference>/deliveries/<int:delivery_id>/revoke/",
        report_views.delivery_revoke,
        name="delivery_revoke",
    ),
    path(
        "<str:reference>/deliveries/<int:delivery_id>/passphrase/",
        report_views.delivery_passphrase,
        name="delivery_passphrase",
    ),
]
