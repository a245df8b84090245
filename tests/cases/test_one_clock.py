"""One clock: every time in DJANGO_TIME_ZONE with its zone, in the portal and the admin; every
day shown as "20 Nov 2026" and typed the same way, whatever the locale (ISO is read too)."""

from datetime import UTC, date, datetime

import pytest
from django.urls import reverse

from cases import services
from dsar_portal.clock import format_day, format_time, parse_day
from tests.factories import make_case

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("typed", "day"),
    [
        ("20 Nov 2026", date(2026, 11, 20)),
        ("20 november 2026", date(2026, 11, 20)),
        ("3 Sept 2026", date(2026, 9, 3)),
        (" 1  Jan  2025 ", date(2025, 1, 1)),
        ("2026-11-20", date(2026, 11, 20)),
    ],
)
def test_days_are_read_in_the_portals_format(typed, day):
    assert parse_day(typed) == day
    assert parse_day(format_day(day)) == day


@pytest.mark.parametrize(
    "typed", ["03/04/2026", "11/20/2026", "31 Feb 2026", "20 Brumaire 2026", ""]
)
def test_ambiguous_or_impossible_days_are_refused(typed):
    with pytest.raises(ValueError):
        parse_day(typed)


def test_times_are_in_the_portals_zone_with_its_name(settings):
    settings.TIME_ZONE = "Asia/Kolkata"
    assert format_time(datetime(2026, 5, 1, 3, 18, tzinfo=UTC)) == "1 May 2026, 08:48 IST"
    settings.TIME_ZONE = "Europe/London"
    assert format_time(datetime(2026, 5, 1, 3, 18, tzinfo=UTC)) == "1 May 2026, 04:18 BST"
    assert format_time(datetime(2026, 12, 1, 3, 18, tzinfo=UTC)) == "1 Dec 2026, 03:18 GMT"


def test_date_fields_are_text_with_the_format_stated(officer_client):
    page = officer_client.get(reverse("cases:create")).content.decode()
    assert 'type="date"' not in page
    assert "Format: day, month, year, like 20 Nov 2026." in page
    assert 'aria-describedby="id_search_from_helptext"' in page


def test_a_case_typed_in_the_portals_format_is_shown_the_same_way(officer_client, officer):
    data = {
        "subject_name": "Ana",
        "subject_email": "ana@example.com",
        "primary_keys": "ana@example.com",
        "channels": ["email"],
        "search_from": "2 Jan 2025",
        "search_to": "9 January 2025",
        "received_on": "2025-01-10",
    }
    officer_client.post(reverse("cases:create"), data)
    case = services.Case.objects.get()
    assert (case.search_from, case.search_to) == (date(2025, 1, 2), date(2025, 1, 9))
    edit = officer_client.get(reverse("cases:edit", args=[case.reference])).content.decode()
    assert 'value="2 Jan 2025"' in edit and 'value="10 Jan 2025"' in edit
    overview = officer_client.get(case.get_absolute_url()).content.decode()
    assert "2 Jan 2025</time> – <time" in overview


def test_portal_and_admin_label_their_times(officer_client, officer, client, django_user_model):
    case = make_case(actor=officer)
    services.case_verify_identity(case=case, actor=officer, method="email_control")
    case.refresh_from_db()
    shown = format_time(case.verified_at)
    assert shown[-3:] in ("GMT", "BST")
    assert shown in officer_client.get(case.get_absolute_url()).content.decode()
    admin = django_user_model.objects.create_superuser("ada", "ada@example.com", "x" * 20)
    client.force_login(admin)
    listing = client.get("/admin/cases/auditentry/").content.decode()
    assert format_time(case.audit_entries.last().created_at) in listing
    assert "a.m." not in listing and "p.m." not in listing
    assert "Times are shown in Europe/London" in listing
