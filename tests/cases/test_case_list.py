from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases import services
from cases.models import Case
from tests.factories import OfficerFactory, make_case

TODAY = timezone.localdate()


def test_sorted_by_due_date_with_days_left_badges(officer_client, officer):
    overdue = make_case(actor=officer, received_on=TODAY - timedelta(days=40), subject_name="Late")
    soon = make_case(actor=officer, received_on=TODAY - timedelta(days=25), subject_name="Soon")
    fresh = make_case(actor=officer, subject_name="Fresh")
    html = officer_client.get(reverse("cases:list")).content.decode()
    assert html.index(overdue.reference) < html.index(soon.reference) < html.index(fresh.reference)
    overdue_days = -overdue.days_left()
    assert (
        f'badge-danger" title="Due {overdue.due_date:%-d %b %Y}">{overdue_days} days overdue'
        in html
    )
    assert (
        f'badge-warning" title="Due {soon.due_date:%-d %b %Y}">{soon.days_left()} days left' in html
    )
    assert f'badge-ok" title="Due {fresh.due_date:%-d %b %Y}">{fresh.days_left()} days left' in html


def test_filters_search_and_counts(officer_client, officer):
    other = OfficerFactory(username="bob")
    a = make_case(actor=officer, subject_name="Zoë Müller", assigned_officer=other)
    b = make_case(actor=officer, primary_keys=["CUST-778812"], subject_email="b@example.org")
    c = make_case(actor=officer)
    services.case_change_status(case=c, actor=officer, status="withdrawn", reason="Asked to stop")

    def refs(**params):
        page = officer_client.get(reverse("cases:list"), params).context["page"]
        return {case.reference for case in page.object_list}

    assert refs(q="zoë") == {a.reference}
    assert refs(q="778812") == {b.reference}
    assert refs(q="b@example.org") == {b.reference}
    assert refs(q=c.reference) == {c.reference}
    assert refs(officer=other.pk) == {a.reference}
    assert refs(status="withdrawn") == {c.reference}
    assert refs(status="open") == {a.reference, b.reference}
    response = officer_client.get(reverse("cases:list"))
    assert dict((s.value, n) for s, n in response.context["status_counts"])["received"] == 2
    assert response.context["total"] == 3


def test_paginated_and_fast_with_ten_thousand_cases(officer_client, officer):
    due = TODAY + timedelta(days=20)
    Case.objects.bulk_create(
        Case(
            reference=f"DSAR-2000-{n:05d}",
            subject_name=f"Subject {n}",
            subject_email=f"s{n}@example.com",
            primary_keys=[f"s{n}@example.com"],
            channels=["email"],
            search_from=TODAY,
            search_to=TODAY,
            received_on=TODAY,
            due_date=due,
            assigned_officer=officer,
        )
        for n in range(10_000)
    )
    with CaptureQueriesContext(connection) as queries:
        response = officer_client.get(reverse("cases:list"), {"page": 3})
    assert response.status_code == 200
    page = response.context["page"]
    assert page.paginator.count == 10_000 and len(page.object_list) == 50
    assert len(queries) <= 12, [q["sql"] for q in queries]
    assert "Page 3 of 200" in response.content.decode()
