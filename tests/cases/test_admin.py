"""Every model is in the admin; what holds subject data or audit entries is read-only there."""

import pytest
from django.apps import apps
from django.contrib import admin

from cases.harvest import planning
from cases.harvest.dispatch import queue_here
from cases.harvest.window import harvest_window
from netcore.sandbox import Sandbox
from tests.factories import make_case
from tests.harvest_fixtures import SANDBOX_KEY, d, sandbox_account

READ_ONLY = ["case", "casenote", "auditentry", "harvestwindow", "activityevent"]


def test_every_model_is_registered():
    for app_label in ("cases", "netcore"):
        for model in apps.get_app_config(app_label).get_models():
            if model.__name__ == "ReferenceCounter":
                continue  # an internal counter, not a record anyone looks at
            assert admin.site.is_registered(model), model.__name__


@pytest.mark.django_db(transaction=True)
def test_subject_data_pages_are_read_only(admin_client, officer):
    with Sandbox(api_key=SANDBOX_KEY, events_per_day=2) as sandbox:
        sandbox_account(sandbox)
        case = make_case(actor=officer, search_from=d("2025-01-01"), search_to=d("2025-01-07"))
        planning.harvest_start(case=case, actor=officer, enqueue=False)
        for window_id in queue_here(case.pk):
            harvest_window(window_id, dispatch=False)
    objects = {
        "case": case,
        "casenote": None,
        "auditentry": case.audit_entries.first(),
        "harvestwindow": case.windows.first(),
        "activityevent": case.events.first(),
    }
    for name in READ_ONLY:
        listing = admin_client.get(f"/admin/cases/{name}/")
        assert listing.status_code == 200, name
        assert admin_client.get(f"/admin/cases/{name}/add/").status_code == 403, name
        obj = objects[name]
        if obj is not None:
            page = admin_client.get(f"/admin/cases/{name}/{obj.pk}/change/")
            assert page.status_code == 200, name
            assert 'type="submit" value="Save"' not in page.content.decode(), name
            assert admin_client.post(f"/admin/cases/{name}/{obj.pk}/delete/").status_code == 403
