"""Retention's accountability stage and the legal hold: a case finished more than
ACCOUNTABILITY_RETENTION_DAYS ago is anonymised (subject replaced by a pseudonym, the trail's
personal values erased, the trail still verifiable), by `purge_closed_cases` and its beat job; a
legal hold (admins only, with a reason, audited) stops both stages."""

from datetime import timedelta
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from cases import services
from cases.jobs import retention
from cases.models import ActivityEvent, AuditValues, Case
from cases.services import CaseRuleError
from tests.factories import make_collected_case

pytestmark = pytest.mark.django_db

ACCOUNTABILITY = settings.ACCOUNTABILITY_RETENTION_DAYS


def days_later(days: int):
    return timezone.now() + timedelta(days=days)


def verify() -> str:
    out = StringIO()
    call_command("verify_audit", stdout=out)
    return out.getvalue().strip()


@pytest.fixture
def closed_case(officer):
    case = make_collected_case(
        events=4,
        actor=officer,
        subject_name="Carla Duarte",
        subject_email="carla@example.org",
        primary_keys=["carla@example.org", "+351933000111"],
    )
    services.case_verify_identity(
        case=case, actor=officer, method="other", notes="Carla read back her postcode"
    )
    services.case_add_note(case=case, actor=officer, text="Carla prefers letters")
    services.case_change_status(case=case, actor=officer, status="withdrawn", reason="By phone")
    return Case.objects.get(pk=case.pk)


def test_anonymised_only_after_the_accountability_period(closed_case):
    assert retention.apply_retention(now=days_later(ACCOUNTABILITY - 1)).anonymised == []
    assert not ActivityEvent.objects.filter(case=closed_case).exists()  # the data stage ran

    [done] = retention.apply_retention(now=days_later(ACCOUNTABILITY + 1)).anonymised
    case = Case.objects.get(pk=closed_case.pk)
    assert done.pseudonym.startswith("ANON-") and done.pseudonym in case.subject_name
    assert case.subject_email == f"{done.pseudonym.lower()}@anonymised.invalid"
    assert case.primary_keys == [f"{done.pseudonym}-1", f"{done.pseudonym}-2"]
    assert (case.verification_notes, case.status_reason) == ("", "")
    assert case.anonymised_at and not case.notes.exists() and done.notes_deleted == 1
    assert case.status == "withdrawn" and case.verification_method == "other"
    last = case.audit_entries.order_by("-sequence").first()
    assert (last.action, last.actor_label) == ("case_anonymised", "system")
    assert last.details == {
        "accountability_days": ACCOUNTABILITY,
        "pseudonym": done.pseudonym,
        "primary_key_count": 2,
        "entries_erased": done.entries_erased,
        "notes_deleted": 1,
    }
    kept = AuditValues.objects.filter(entry__case=case)
    assert done.entries_erased == kept.count() > 0
    assert not kept.filter(erased_at=None).exists() and not kept.exclude(values={}).exists()
    assert verify().endswith(f"; {done.entries_erased} redacted")
    # Done once: a later run finds nothing, and the anonymised case no longer changes.
    assert retention.apply_retention(now=days_later(ACCOUNTABILITY + 2)).anonymised == []
    with pytest.raises(CaseRuleError, match="anonymised"):
        services.case_change_status(case=case, actor=None, status="closed")


def test_the_period_is_a_setting(closed_case, settings):
    settings.ACCOUNTABILITY_RETENTION_DAYS = 10
    assert retention.apply_retention(now=days_later(9)).anonymised == []
    assert len(retention.apply_retention(now=days_later(11)).anonymised) == 1


def test_anonymisation_purges_what_the_data_stage_left(closed_case, settings):
    settings.RETENTION_DAYS_AFTER_CLOSE = 5000  # data kept longer than accountability requires
    run = retention.apply_retention(now=days_later(ACCOUNTABILITY + 1))
    assert run.purged == []
    [done] = run.anonymised
    assert done.purged is not None and done.purged.events == 4
    assert not ActivityEvent.objects.filter(case=closed_case).exists()
    actions = list(closed_case.audit_entries.values_list("action", flat=True))
    assert actions[-2:] == ["data_purged", "case_anonymised"]
    assert verify().startswith("ok")


def test_a_legal_hold_stops_both_stages(closed_case, admin_user):
    services.case_place_legal_hold(
        case=closed_case, actor=admin_user, reason="Evidence in claim 2027/113"
    )
    far = days_later(ACCOUNTABILITY + 400)
    run = retention.apply_retention(now=far)
    assert (run.purged, run.anonymised) == ([], [])
    # Nor does a case picked before the hold fall to a stage run afterwards.
    assert retention.purge_case(closed_case) is None
    assert retention.anonymise_case(closed_case) is None
    case = Case.objects.get(pk=closed_case.pk)
    assert case.subject_email == "carla@example.org" and case.anonymised_at is None
    assert ActivityEvent.objects.filter(case=case).count() == 4
    assert verify().startswith("ok")

    services.case_lift_legal_hold(case=case, actor=admin_user, reason="Claim settled")
    run = retention.apply_retention(now=far)
    assert len(run.purged) == 1 and len(run.anonymised) == 1
    held, lifted = case.audit_entries.filter(
        action__in=["legal_hold_placed", "legal_hold_lifted"]
    ).order_by("sequence")
    assert held.actor_label == lifted.actor_label == admin_user.username
    # The reasons are free text, kept beside the chain: erased with the rest.
    assert held.readable_details == {"reason": "(erased)"}
    assert verify().startswith("ok")


def test_only_an_admin_places_or_lifts_a_hold_and_gives_a_reason(closed_case, officer, admin_user):
    with pytest.raises(CaseRuleError, match="Only an administrator"):
        services.case_place_legal_hold(case=closed_case, actor=officer, reason="Claim")
    with pytest.raises(CaseRuleError, match="Give the reason"):
        services.case_place_legal_hold(case=closed_case, actor=admin_user, reason="  ")
    with pytest.raises(CaseRuleError, match="not on legal hold"):
        services.case_lift_legal_hold(case=closed_case, actor=admin_user, reason="Done")
    services.case_place_legal_hold(case=closed_case, actor=admin_user, reason="Claim")
    with pytest.raises(CaseRuleError, match="since"):
        services.case_place_legal_hold(case=closed_case, actor=admin_user, reason="Again")
    with pytest.raises(CaseRuleError, match="Only an administrator"):
        services.case_lift_legal_hold(case=closed_case, actor=officer, reason="Done")
    assert closed_case.audit_entries.filter(action="legal_hold_placed").count() == 1


def test_admins_place_and_lift_it_in_the_admin(closed_case, admin_client, officer_client):
    url = reverse("admin:cases_case_legal_hold", args=[closed_case.pk])
    change = reverse("admin:cases_case_change", args=[closed_case.pk])
    assert url in admin_client.get(change).content.decode()
    assert "Place the legal hold" in admin_client.get(url).content.decode()

    refused = admin_client.post(url, {"reason": ""})
    assert refused.status_code == 200 and "This field is required" in refused.content.decode()
    response = admin_client.post(url, {"reason": "Regulator's inquiry of 3 March"})
    assert response.status_code == 302 and response["Location"] == change
    case = Case.objects.get(pk=closed_case.pk)
    assert case.on_legal_hold and case.legal_hold_reason == "Regulator's inquiry of 3 March"
    page = admin_client.get(change).content.decode()
    assert "Regulator&#x27;s inquiry of 3 March" in page and "lift it" in page
    # The case page says so, to everyone who can see it.
    assert "On legal hold since" in officer_client.get(case.get_absolute_url()).content.decode()

    assert "Lift the legal hold" in admin_client.get(url).content.decode()
    admin_client.post(url, {"reason": "Inquiry closed"})
    assert not Case.objects.get(pk=closed_case.pk).on_legal_hold
    # Officers are not staff: the admin sends them to sign in.
    assert officer_client.post(url, {"reason": "Mine"}).status_code == 302
    assert closed_case.audit_entries.filter(action__startswith="legal_hold").count() == 2


def test_a_hold_lifted_by_sql_is_caught(closed_case, admin_user):
    services.case_place_legal_hold(case=closed_case, actor=admin_user, reason="Claim")
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Case._meta.db_table} SET legal_hold_since = NULL WHERE id = %s",
            [closed_case.pk],
        )
    with pytest.raises(CommandError, match="legal hold differs from the trail"):
        verify()


def test_the_command_and_its_beat_job_run_both_stages(closed_case, capsys, settings):
    settings.RETENTION_DAYS_AFTER_CLOSE = 0
    settings.ACCOUNTABILITY_RETENTION_DAYS = 0
    call_command("purge_closed_cases", "--dry-run")
    out = capsys.readouterr().out
    assert f"{closed_case.reference} (finished" in out
    assert out.count(closed_case.reference) == 2 and "to anonymise" in out
    assert Case.objects.get(pk=closed_case.pk).anonymised_at is None

    call_command("purge_closed_cases")
    out = capsys.readouterr().out
    assert "1 cases purged" in out and "1 cases anonymised" in out
    assert f"{closed_case.reference}: anonymised as ANON-" in out


def test_the_beat_job_runs_both_stages(closed_case, settings):
    settings.RETENTION_DAYS_AFTER_CLOSE = 0
    settings.ACCOUNTABILITY_RETENTION_DAYS = 0
    entry = settings.CELERY_BEAT_SCHEDULE["retention-purge"]
    assert entry["task"] == retention.retention_purge_task.name
    assert retention.retention_purge_task() == 2  # what beat's worker runs: one case, two stages
    assert Case.objects.get(pk=closed_case.pk).anonymised_at is not None
