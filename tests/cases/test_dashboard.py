"""The home page dashboard: open cases by status, due this week, overdue, and the median days to
answer over the last 90 days, each linking to the case list filtered to those cases."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from cases import services
from cases.audit import verify_chain
from cases.dashboard import dashboard_figures
from cases.models import Case
from cases.services import case_change_status
from tests.factories import OfficerFactory, make_case, make_collected_case

pytestmark = pytest.mark.django_db


def due_in(days: int, **extra) -> Case:
    case = make_case(**extra)
    Case.objects.filter(pk=case.pk).update(due_date=timezone.localdate() + timedelta(days=days))
    return Case.objects.get(pk=case.pk)


def answered(received_days_ago: int, answered_days_ago: int, *, status: str = "sent") -> Case:
    """A case received that many days ago and sent (or closed) `answered_days_ago` days ago."""
    today = timezone.localdate()
    case = make_collected_case(received_on=today - timedelta(days=received_days_ago))
    with time_machine.travel(timezone.now() - timedelta(days=answered_days_ago)):
        case_change_status(case=case, actor=None, status="report_ready")
        case_change_status(case=case, actor=None, status="sent")
        if status == "closed":
            case_change_status(case=case, actor=None, status="closed")
    assert verify_chain(case)[1] is None  # the trail says what happened, when
    return case


def figure(page: str, name: str) -> str:
    return re.search(rf'data-figure="{name}">([^<]+)<', page).group(1)


def test_home_is_the_dashboard(officer_client):
    due_in(-3)
    due_in(-1)
    due_in(0)
    due_in(7)
    due_in(8)
    withdrawn = due_in(-5)
    case_change_status(case=withdrawn, actor=None, status="withdrawn", reason="Asked to stop")

    response = officer_client.get("/")

    assert response.status_code == 200
    page = response.content.decode()
    assert figure(page, "overdue") == "2"
    assert figure(page, "due-soon") == "2"
    assert figure(page, "open") == "5"
    assert figure(page, "status-received") == "5"
    assert 'href="/cases/?due=overdue"' in page
    assert 'href="/cases/?due=week"' in page
    assert 'href="/cases/?status=received"' in page
    assert 'href="/cases/?due=answered"' in page


def test_median_days_to_answer_over_the_last_90_days():
    answered(received_days_ago=30, answered_days_ago=20)  # 10 days
    answered(received_days_ago=50, answered_days_ago=30, status="closed")  # 20 days
    answered(received_days_ago=45, answered_days_ago=5)  # 40 days
    answered(received_days_ago=200, answered_days_ago=120)  # too long ago: not counted
    make_case()

    figures = dashboard_figures(Case.objects.all())

    assert figures.answered == 3
    assert figures.median_days_to_answer == 20


def test_no_answer_yet(officer_client):
    make_case()
    assert dashboard_figures(Case.objects.all()).median_days_to_answer is None
    assert "no case answered" in officer_client.get("/").content.decode()


def test_the_links_list_the_cases_counted(officer_client):
    late = due_in(-1)
    soon = due_in(3)
    later = due_in(20)
    done = answered(received_days_ago=30, answered_days_ago=10)

    def listed(query: str) -> set[str]:
        page = officer_client.get(f"/cases/?{query}").content.decode()
        return {c.reference for c in (late, soon, later, done) if c.reference in page}

    assert listed("due=overdue") == {late.reference}
    assert listed("due=week") == {soon.reference}
    assert listed("due=answered") == {done.reference}
    assert listed("status=open") == {late.reference, soon.reference, later.reference}


def test_needs_sign_in_and_permission(client, outsider):
    assert client.get("/").status_code == 302
    client.force_login(outsider)
    assert client.get("/").status_code == 403


def test_sign_in_lands_on_the_dashboard(client, officer):
    response = client.post(
        "/accounts/login/",
        {"username": officer.username, "password": "correct horse battery staple"},
    )
    assert response.status_code == 302 and response["Location"] == "/"


def test_restricted_cases_of_others_are_not_counted(officer_client, officer):
    colleague = OfficerFactory(username="colin")
    Case.objects.filter(pk=due_in(-1, assigned_officer=colleague).pk).update(restricted=True)
    Case.objects.filter(pk=due_in(-1, assigned_officer=officer).pk).update(restricted=True)
    due_in(-1)

    page = officer_client.get("/").content.decode()

    assert figure(page, "overdue") == "2"


def queue_items(page: str, key: str) -> list[str]:
    section = page.split(f'data-queue="{key}"')[1].split("</section>")[0]
    return re.findall(r'<a href="/cases/([^/]+)/">', section)


def test_the_dashboard_lists_the_work_queues(officer_client, officer):
    other = OfficerFactory(username="oscar")
    late = due_in(-2, actor=officer, assigned_officer=officer)
    soon = due_in(3, actor=officer, assigned_officer=officer)
    theirs = due_in(-4, actor=other, assigned_officer=other)
    failed = make_collected_case(actor=officer, assigned_officer=officer, failed_windows=1)
    ready = make_collected_case(actor=officer, assigned_officer=officer)
    services.case_verify_identity(case=ready, actor=officer, method="email_control")
    case_change_status(case=ready, actor=officer, status="report_ready")

    mine = officer_client.get("/").content.decode()
    assert 'href="?scope=mine" aria-current="page"' in mine
    assert queue_items(mine, "overdue") == [late.reference]
    assert queue_items(mine, "due_soon") == [soon.reference]
    assert set(queue_items(mine, "identity")) == {late.reference, soon.reference, failed.reference}
    assert queue_items(mine, "ready") == [ready.reference]
    assert queue_items(mine, "failed") == [failed.reference]

    everyone = officer_client.get("/", {"scope": "all"}).content.decode()
    assert queue_items(everyone, "overdue") == [theirs.reference, late.reference]


def test_empty_queues_say_what_to_do_next(officer_client):
    page = officer_client.get("/").content.decode()
    assert "Nothing is overdue." in page
    assert "record how the subject proved who they are" in page
    assert "send it from the case&#x27;s report section" in page


def test_a_long_queue_links_to_all_of_it_in_the_case_list(officer_client, officer):
    cases = [make_case(actor=officer, assigned_officer=officer) for _ in range(9)]
    page = officer_client.get("/").content.decode()
    assert len(queue_items(page, "identity")) == 8
    assert f'href="/cases/?queue=identity&amp;officer={officer.pk}">All 9' in page
    listing = officer_client.get("/cases/", {"queue": "identity", "officer": officer.pk})
    assert listing.context["page"].paginator.count == len(cases)
