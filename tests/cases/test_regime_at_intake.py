"""A case's regime: chosen at intake (web form or `create_case --regime`), defaulting to the
organisation profile's; it sets the deadline, is recorded in the trail, and shows in the list, the
dashboard and on the case page. Cases logged before regimes existed are GDPR cases."""

import re
from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from cases import services
from cases.models import Case, OrganisationProfile
from cases.regimes import REGIMES
from cases.services import CaseRuleError
from tests.factories import d, make_case

pytestmark = pytest.mark.django_db


def intake(**overrides):
    today = timezone.localdate()
    data = {
        "subject_name": "Ana Souza",
        "subject_email": "ana@example.com",
        "primary_keys": "ana@example.com",
        "channels": ["email"],
        "search_from": (today - timedelta(days=30)).isoformat(),
        "search_to": today.isoformat(),
        "received_on": today.isoformat(),
        "assigned_officer": "",
    }
    data.update(overrides)
    return data


def set_profile(**values):
    profile = OrganisationProfile.load()
    for name, value in values.items():
        setattr(profile, name, value)
    profile.save()


def create_case_command(*extra):
    today = timezone.localdate()
    out = StringIO()
    call_command(
        "create_case",
        "--subject-name=Ana Souza",
        "--subject-email=ana@example.com",
        "--primary-key=ana@example.com",
        "--channels=email",
        f"--from={(today - timedelta(days=30)).isoformat()}",
        f"--to={today.isoformat()}",
        *extra,
        stdout=out,
    )
    return Case.objects.get(reference=out.getvalue().strip())


@time_machine.travel("2028-02-29 10:00 +0000", tick=False)
@pytest.mark.parametrize(
    ("regime", "due"),
    [
        ("gdpr", "2028-03-29"),
        ("uk-gdpr", "2028-03-29"),
        ("ccpa", "2028-04-14"),
        ("lgpd", "2028-03-15"),
        ("dpdp", "2028-05-29"),
    ],
)
def test_the_form_logs_the_case_under_the_chosen_regime(client, officer, regime, due):
    client.force_login(officer)  # signed in on the day travelled to
    response = client.post(reverse("cases:create"), intake(regime=regime))
    case = Case.objects.get()
    assert response.status_code == 302
    assert (case.regime, case.due_date) == (regime, d(due))
    created = case.audit_entries.get(action="created")
    assert created.details["regime"] == regime
    assert created.details["due_date"] == due


def test_the_form_offers_the_profile_default_and_every_regime(officer_client):
    set_profile(default_regime="lgpd")
    page = officer_client.get(reverse("cases:create")).content.decode()
    select = re.search(r'<select name="regime".*?</select>', page, re.S).group(0)
    options = re.findall(r'<option value="([^"]+)"( selected)?>', select)
    assert [value for value, _ in options] == list(REGIMES)
    assert [value for value, selected in options if selected] == ["lgpd"]


def test_left_out_the_regime_is_the_profiles_default(officer_client):
    set_profile(default_regime="ccpa")
    officer_client.post(reverse("cases:create"), intake())
    assert Case.objects.get().regime == "ccpa"


def test_a_regime_that_does_not_exist_is_refused(officer_client):
    response = officer_client.post(reverse("cases:create"), intake(regime="eu"), follow=True)
    assert response.redirect_chain == [(reverse("cases:create"), 302)]  # the form, once more
    assert "regime" in response.context["form"].errors
    assert not Case.objects.exists()


def test_a_dpdp_case_gets_the_period_the_organisation_publishes(officer_client):
    set_profile(dpdp_response_days=30)
    received = timezone.localdate() - timedelta(days=3)
    officer_client.post(
        reverse("cases:create"), intake(regime="dpdp", received_on=received.isoformat())
    )
    assert Case.objects.get().due_date == received + timedelta(days=30)


def test_the_profile_refuses_a_dpdp_period_beyond_ninety_days(admin_client):
    profile = OrganisationProfile.load()
    url = reverse("admin:cases_organisationprofile_change", args=[profile.pk])
    form = admin_client.get(url).context["adminform"].form
    data = {name: form.initial.get(name, "") for name in form.fields}
    data.update(default_regime="dpdp", dpdp_response_days="91")
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert "dpdp_response_days" in response.context["adminform"].form.errors
    data["dpdp_response_days"] = "45"
    assert admin_client.post(url, data).status_code == 302
    profile.refresh_from_db()
    assert (profile.default_regime, profile.dpdp_response_days) == ("dpdp", 45)


@pytest.mark.parametrize("regime", list(REGIMES))
def test_create_case_takes_each_regime(regime):
    assert create_case_command(f"--regime={regime}").regime == regime


def test_create_case_defaults_to_the_profiles_regime():
    set_profile(default_regime="uk-gdpr")
    assert create_case_command().regime == "uk-gdpr"


def test_create_case_refuses_another_regime_naming_the_five():
    with pytest.raises(CommandError, match="invalid choice: 'eu'") as refused:
        create_case_command("--regime=eu")
    assert "gdpr" in str(refused.value) and "lgpd" in str(refused.value)
    assert not Case.objects.exists()


def test_the_regime_shows_in_the_list_and_filters_it(officer_client, officer):
    uk = make_case(actor=officer, regime="uk-gdpr")
    br = make_case(actor=officer, regime="lgpd")
    html = officer_client.get(reverse("cases:list")).content.decode()
    assert '<th scope="col">Regime</th>' in html
    for case, label in ((uk, "UK GDPR"), (br, "Brazil LGPD")):
        row = re.search(rf"<tr>\s*<td><a[^>]*>{case.reference}</a>.*?</tr>", html, re.S).group(0)
        assert f">{label}</span>" in row
    page = officer_client.get(reverse("cases:list"), {"regime": "lgpd"}).context["page"]
    assert [c.reference for c in page.object_list] == [br.reference]


def test_the_dashboard_counts_open_cases_per_regime(officer_client, officer):
    make_case(actor=officer, regime="ccpa")
    make_case(actor=officer, regime="ccpa")
    closed = make_case(actor=officer, regime="dpdp")
    services.case_change_status(case=closed, actor=officer, status="withdrawn", reason="Asked")
    html = officer_client.get("/").content.decode()
    assert 'data-figure="regime-ccpa">2</strong> under California CCPA' in html
    assert "regime-dpdp" not in html  # no open DPDP case
    assert 'href="/cases/?status=open&amp;regime=ccpa"' in html


@pytest.mark.parametrize("regime", list(REGIMES))
def test_the_case_page_shows_the_regime_and_its_rule(officer_client, officer, regime):
    case = make_case(actor=officer, regime=regime)
    html = officer_client.get(case.get_absolute_url()).content.decode()
    rules = REGIMES[regime]
    head = re.search(r"<h1>.*?</h1>", html, re.S).group(0)
    assert f'title="{escape(rules.law)}">{rules.label}</span>' in head
    assert rules.deadline_rule.split(" (")[0] in html
    assert ('action="/cases/' + case.reference + '/extend/"' in html) == rules.extension
    assert ("Stop the clock" in html) == rules.clock_stops


def test_changing_the_regime_before_collection_moves_the_deadline(officer):
    case = make_case(actor=officer, received_on=timezone.localdate() - timedelta(days=2))
    services.case_update(case=case, actor=officer, regime="lgpd")
    case.refresh_from_db()
    assert case.due_date == case.received_on + timedelta(days=15)
    changes = case.audit_entries.last().details["changes"]
    assert changes["regime"] == {"old": "gdpr", "new": "lgpd"}
    assert changes["due_date"]["new"] == case.due_date.isoformat()


def test_the_regime_cannot_change_once_the_deadline_was_extended(officer):
    case = make_case(actor=officer, regime="ccpa")
    today = timezone.localdate()
    services.case_extend_deadline(case=case, actor=officer, reason="Many", subject_told_on=today)
    with pytest.raises(CaseRuleError, match="can no longer change"):
        services.case_update(case=case, actor=officer, regime="gdpr")
    case.refresh_from_db()
    assert case.regime == "ccpa"


def test_editing_other_fields_keeps_the_regime(officer_client, officer):
    case = make_case(actor=officer, regime="dpdp")
    data = intake(subject_name="Ana S.", received_on=case.received_on.isoformat())
    response = officer_client.post(reverse("cases:edit", args=[case.reference]), data)
    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.subject_name, case.regime) == ("Ana S.", "dpdp")


@pytest.mark.django_db(transaction=True)
def test_cases_logged_before_regimes_existed_are_gdpr_cases():
    executor = MigrationExecutor(connection)
    adding = next(
        key
        for key, migration in executor.loader.disk_migrations.items()
        if key[0] == "cases"
        and any(getattr(op, "name", "") == "regime" for op in migration.operations)
    )
    before = executor.loader.graph.node_map[adding].parents
    (previous,) = [parent.key for parent in before if parent.key[0] == "cases"]
    executor.migrate([previous])
    old_case = executor.loader.project_state(previous).apps.get_model("cases", "Case")
    old_case.objects.create(
        reference="DSAR-2025-0001",
        subject_name="Old",
        subject_email="old@example.com",
        primary_keys=["old@example.com"],
        channels=["email"],
        search_from=d("2025-01-01"),
        search_to=d("2025-01-31"),
        received_on=d("2025-02-01"),
        due_date=d("2025-03-01"),
    )
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    case = Case.objects.get(reference="DSAR-2025-0001")
    assert (case.regime, case.due_date, case.days_not_counted) == ("gdpr", d("2025-03-01"), 0)
