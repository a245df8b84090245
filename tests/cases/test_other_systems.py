"""The report's honest scope: the organisation's other systems, an outcome per system recorded
on the case page (audited) before a report can be generated, and the Art. 15(2) transfer text
that follows the data centres searched."""

import pytest
from django.urls import reverse
from pypdf import PdfReader

from cases.models import OtherSystem, SystemCheck
from cases.reports import generation
from cases.reports.document import render_report
from netcore.services import account_create
from tests.factories import make_collected_case, make_events, make_window

pytestmark = pytest.mark.django_db


@pytest.fixture
def systems(db):
    return [
        OtherSystem.objects.create(name="Shop database", holds="orders", position=1),
        OtherSystem.objects.create(name="Support desk", holds="tickets", position=2),
        OtherSystem.objects.create(name="Old CRM", active=False),
    ]


def test_an_officer_records_an_outcome_per_system(officer_client, officer, systems):
    shop, desk, _old = systems
    case = make_collected_case(events=1, actor=officer)
    url = reverse("cases:other_systems", args=[case.reference])
    report_section = reverse("cases:report", args=[case.reference])
    page = officer_client.get(report_section).content.decode()
    assert 'id="other-systems-heading"' in page
    assert f'name="outcome_{shop.pk}"' in page and f'name="outcome_{desk.pk}"' in page
    assert "Old CRM" not in page  # inactive: no longer asked about

    # "Not searched" needs its reason: refused, nothing saved, the form says why.
    response = officer_client.post(
        url, {f"outcome_{shop.pk}": "no_data", f"outcome_{desk.pk}": "not_searched"}, follow=True
    )
    assert response.redirect_chain == [(report_section + "#other-systems", 302)]
    assert "Say how it was provided, or why it was not searched." in response.content.decode()
    assert not SystemCheck.objects.exists()

    response = officer_client.post(
        url,
        {
            f"outcome_{shop.pk}": "no_data",
            f"outcome_{desk.pk}": "not_searched",
            f"note_{desk.pk}": "tickets are kept 30 days",
        },
    )
    assert response.status_code == 302 and response["Location"].endswith("#other-systems")
    checks = {c.system.name: (c.outcome, c.note, c.recorded_by) for c in case.system_checks.all()}
    assert checks == {
        "Shop database": ("no_data", "", officer),
        "Support desk": ("not_searched", "tickets are kept 30 days", officer),
    }
    entry = case.audit_entries.get(action="other_systems_recorded")
    assert entry.details == {"Shop database": "No data held", "Support desk": "Not searched"}

    # The same outcomes again change nothing and write no entry.
    officer_client.post(
        url,
        {
            f"outcome_{shop.pk}": "no_data",
            f"outcome_{desk.pk}": "not_searched",
            f"note_{desk.pk}": "tickets are kept 30 days",
        },
    )
    assert case.audit_entries.filter(action="other_systems_recorded").count() == 1
    page = officer_client.get(report_section).content.decode()
    assert "tickets are kept 30 days" in page


def test_no_report_until_every_active_system_has_an_outcome(officer, systems):
    shop, desk, _old = systems
    case = make_collected_case(events=1, actor=officer)
    SystemCheck.objects.create(case=case, system=shop, outcome="no_data")

    with pytest.raises(generation.OtherSystemsUnanswered, match="Support desk"):
        generation.report_request(case=case, actor=officer)
    assert not case.reports.exists()

    SystemCheck.objects.create(
        case=case, system=desk, outcome="provided_separately", note="by post on 2 March"
    )
    assert generation.report_request(case=case, actor=officer).version == 1


def test_the_generate_button_says_what_is_missing(officer_client, officer, systems):
    case = make_collected_case(events=1, actor=officer)
    response = officer_client.post(
        reverse("cases:report_generate", args=[case.reference]), follow=True
    )
    assert "Record what was found in every other system first" in response.content.decode()
    assert not case.reports.exists()


def test_a_transfer_is_stated_for_the_india_data_centre(tmp_path, settings):
    settings.REPORT_RENDER_PROCESSES = 1
    case = make_collected_case(events=0)
    case.windows.all().delete()
    india = account_create(
        name="India", region="in", api_key="test-key-0123456789", timezone="Asia/Kolkata"
    )
    make_events(make_window(case, account=india), 2)

    render_report(case, tmp_path / "r.pdf", version=1)

    text = " ".join(" ".join(p.extract_text() for p in PdfReader(tmp_path / "r.pdf").pages).split())
    assert "Netcore Cloud, our email and SMS provider, India data centre" in text
    assert (
        "outside the UK and the European Economic Area. This transfer is protected by the "
        "standard contractual clauses approved for this purpose (Art. 46(2)(c))"
    ) in text
    assert "not transferred" not in text
    assert "We hold no data about you in other systems" in text
