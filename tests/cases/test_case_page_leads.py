"""The case page leads: its sections, the step bar and the one next action; the message of an
action beside what it changed; only the actions a status allows; one id per element."""

import re
from collections import Counter
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from cases import services
from cases.models import Case
from cases.reports.refusal import refusal_record_given
from cases.steps import case_steps, next_action
from tests.factories import make_case, make_collected_case

pytestmark = pytest.mark.django_db

SECTIONS = ("detail", "data", "report", "trail", "notes")


def sections(client, case):
    return {name: client.get(reverse(f"cases:{name}", args=[case.reference])) for name in SECTIONS}


def steps_of(case, ready=False):
    return [(s.key, s.state) for s in case_steps(case, has_ready_report=ready)]


def test_the_steps_and_the_next_action_follow_the_case(officer):
    case = make_case(actor=officer)
    assert steps_of(case)[:3] == [
        ("received", "done"),
        ("identity", "current"),
        ("collected", "todo"),
    ]
    action = next_action(case, has_ready_report=False, generating=False, has_windows=False)
    assert action.title == "Verify the subject's identity" and action.link.endswith("#identity")

    services.case_verify_identity(case=case, actor=officer, method="email_control")
    action = next_action(case, has_ready_report=False, generating=False, has_windows=False)
    assert action.button == "Start collection"
    assert action.post_url == reverse("cases:collect", args=[case.reference])

    collected = make_collected_case(actor=officer, events=2)
    services.case_verify_identity(case=collected, actor=officer, method="email_control")
    assert steps_of(collected)[3] == ("report", "current")
    action = next_action(collected, has_ready_report=False, generating=False, has_windows=True)
    assert action.button == "Generate report"

    incomplete = make_collected_case(actor=officer, events=2, failed_windows=1)
    services.case_verify_identity(case=incomplete, actor=officer, method="email_control")
    action = next_action(incomplete, has_ready_report=False, generating=False, has_windows=True)
    assert action.button == "Retry failed windows"

    services.case_change_status(case=collected, actor=officer, status="report_ready")
    action = next_action(collected, has_ready_report=True, generating=False, has_windows=True)
    assert action.title == "Send the report to the subject"
    services.case_change_status(case=collected, actor=officer, status="sent")
    assert next_action(
        collected, has_ready_report=True, generating=False, has_windows=True
    ).link.endswith("#status")
    services.case_change_status(case=collected, actor=officer, status="closed")
    assert all(state == "done" for _key, state in steps_of(collected, ready=True))

    rejected = make_case(actor=officer)
    services.case_change_status(case=rejected, actor=officer, status="rejected", reason="No ID")
    assert steps_of(rejected)[1:] == [
        (k, "stopped") for k in ("identity", "collected", "report", "sent", "closed")
    ]
    # A refused request is owed its answer first; once given, nothing is left.
    action = next_action(rejected, has_ready_report=False, generating=False, has_windows=False)
    assert action.title == "Tell the subject why" and action.link.endswith("#refusal")
    refusal_record_given(case=rejected, actor=officer, via="letter", given_on=timezone.localdate())
    assert (
        next_action(rejected, has_ready_report=False, generating=False, has_windows=False).title
        == "Nothing left to do"
    )


def test_every_section_shows_the_head_and_marks_itself(officer_client, officer):
    case = make_collected_case(actor=officer, events=120)
    for name, response in sections(officer_client, case).items():
        page = response.content.decode()
        assert response.status_code == 200, name
        assert 'aria-label="Steps of the request"' in page, name
        assert 'aria-current="step"' in page, name
        assert 'class="next-action"' in page, name
        current = re.findall(r'<a href="([^"]+)" aria-current="page">', page)
        assert current == [reverse(f"cases:{name}", args=[case.reference])], name
    # No long table above the actions: the events are only on their own section.
    overview = sections(officer_client, case)["detail"].content.decode()
    assert 'class="events"' not in overview


def test_no_two_elements_of_a_page_share_an_id(officer_client, officer):
    case = make_case(actor=officer, received_on=timezone.localdate() - timedelta(days=2))
    for name, response in sections(officer_client, case).items():
        ids = Counter(re.findall(r'\sid="([^"]+)"', response.content.decode()))
        assert [i for i, n in ids.items() if n > 1] == [], name
    overview = officer_client.get(case.get_absolute_url()).content.decode()
    for field in ("id_extend_reason", "id_rejected_reason", "id_withdrawn_reason"):
        assert f'for="{field}"' in overview and f'id="{field}"' in overview


def test_after_an_action_its_message_stands_beside_what_changed(officer_client, officer):
    case = make_case(actor=officer)
    response = officer_client.post(
        reverse("cases:verify", args=[case.reference]), {"method": "known_details", "notes": ""}
    )
    assert response["Location"] == f"{case.get_absolute_url()}#identity"
    page = officer_client.get(response["Location"]).content.decode()
    identity = page[page.index('id="identity"') : page.index('id="deadline"')]
    assert "Identity verification recorded." in identity
    assert "data-focus" in identity


def test_nothing_is_preselected_for_a_status_change_and_a_withdrawal_says_how(
    officer_client, officer
):
    case = make_case(actor=officer)
    page = officer_client.get(case.get_absolute_url()).content.decode()
    status_card = page.split('id="status"')[1]
    assert "<select" in status_card
    assert set(re.findall(r'<option value="([^"]*)" selected', status_card)) == {""}
    url = reverse("cases:status", args=[case.reference])
    data = {"status": "withdrawn", "withdrawn_via": "phone", "reason": "Called to cancel"}
    officer_client.post(url, data)
    officer_client.post(url, {**data, "confirmed": "on"})
    case.refresh_from_db()
    assert case.status == "withdrawn"
    entry = case.audit_entries.get(action="status_changed")
    assert entry.details["withdrawn_via"] == "phone"
    page = officer_client.get(case.get_absolute_url()).content.decode()
    assert "Olivia Officer recorded that the subject withdrew the request (by phone)" in page


def test_a_rejection_needs_its_reason(officer_client, officer):
    case = make_case(actor=officer)
    url = reverse("cases:status", args=[case.reference])
    officer_client.post(url, {"status": "rejected", "reason": "  ", "confirmed": "on"})
    case.refresh_from_db()
    assert case.status == "received"


def test_actions_that_do_not_apply_are_not_offered(officer_client, officer):
    case = make_collected_case(actor=officer, events=1)
    for status in ("report_ready", "sent", "closed"):
        services.case_change_status(case=case, actor=officer, status=status)
    page = officer_client.get(case.get_absolute_url()).content.decode()
    assert "Extend the deadline" not in page and "/extend/" not in page
    assert "Reject the request" not in page and "Record a withdrawal" not in page
    assert "Answered" in page

    rejected = make_case(actor=officer)
    services.case_change_status(case=rejected, actor=officer, status="rejected", reason="x")
    withdrawn = make_case(actor=officer)
    services.case_change_status(case=withdrawn, actor=officer, status="withdrawn", reason="x")
    listing = officer_client.get(reverse("cases:list")).content.decode()
    assert listing.count(">Answered<") == 1  # the closed case only
    assert listing.count(">No deadline<") == 2
    for finished in (rejected, withdrawn):
        page = officer_client.get(finished.get_absolute_url()).content.decode()
        assert "Answered" not in page and "/extend/" not in page and "/verify/" not in page

    collecting = make_case(actor=officer)
    services.case_change_status(case=collecting, actor=officer, status="collecting")
    page = officer_client.get(collecting.get_absolute_url()).content.decode()
    assert "Record a withdrawal" in page and "Reject the request" not in page
    assert "Close the case" not in page.split('id="status"')[1]


def test_auditors_see_the_next_step_but_no_button(client, officer):
    from tests.factories import UserFactory
    from tests.security.conftest import auditors_group

    auditor = UserFactory(username="audrey")
    auditor.groups.add(auditors_group())
    client.force_login(auditor)
    case = make_collected_case(actor=officer, events=1)
    page = client.get(case.get_absolute_url()).content.decode()
    assert (
        "Next:" in page
        and "<form" not in page.split('class="next-action"')[1].split("</section>")[0]
    )
    assert Case.objects.count() == 1
