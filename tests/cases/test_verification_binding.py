"""Identity verification is bound to what it verified: changing the subject's email, name or
primary keys undoes it (audited, with a message), and no report goes out until it is done again.
The delivery keeps the address it went to."""

import pytest
from django.urls import reverse

from cases.models import Delivery
from cases.reports.delivery import delivery_send
from cases.services import case_change_status, case_update, case_verify_identity
from tests.delivery_fixtures import (
    add_ready_version,
    confirmation,
    dpo_profile,
    report_page,
)
from tests.factories import make_case, make_events, make_window
from tests.smtp_server import SmtpServer

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_storage")]


def edit(client, case, **changes):
    data = {
        "subject_name": case.subject_name,
        "subject_email": case.subject_email,
        "primary_keys": "\n".join(case.primary_keys),
        "channels": case.channels,
        "search_from": case.search_from.isoformat(),
        "search_to": case.search_to.isoformat(),
        "received_on": case.received_on.isoformat(),
        **changes,
    }
    return client.post(reverse("cases:edit", args=[case.reference]), data, follow=True)


@pytest.mark.parametrize(
    "change",
    [
        {"subject_email": "someone.else@example.org"},
        {"subject_name": "Someone Else"},
        {"primary_keys": "alex@example.com\nCUST-999"},
    ],
)
def test_changing_the_subject_after_verification_undoes_it(change, officer, officer_client):
    case = make_case(actor=officer)
    case_verify_identity(case=case, actor=officer, method="document_sighted", notes="passport")

    response = edit(officer_client, case, **change)

    assert "verify their identity again: until then no report can be sent" in (
        response.content.decode().replace("Verify", "verify")
    )
    case.refresh_from_db()
    assert (case.verified_at, case.verified_by, case.verification_method) == (None, None, "")
    assert case.status == "received"
    entry = case.audit_entries.get(action="verification_cleared")
    assert entry.details == {
        "changed": list(change),
        "from": "identity_verified",
        "to": "received",
    }
    assert "Not yet verified" in officer_client.get(case.get_absolute_url()).content.decode()


def test_other_changes_keep_the_verification(officer, officer_client):
    case = make_case(actor=officer)
    case_verify_identity(case=case, actor=officer, method="email_control")

    edit(officer_client, case, channels=["email"])

    case.refresh_from_db()
    assert case.is_verified and case.status == "identity_verified"
    assert not case.audit_entries.filter(action="verification_cleared").exists()
    # Unchanged values resubmitted change nothing either.
    case_update(case=case, actor=officer, subject_email=case.subject_email)
    case.refresh_from_db()
    assert case.is_verified


def test_an_email_changed_after_verification_blocks_the_send_until_verified_again(
    officer, officer_client, settings
):
    """The case from the report: verify, change the email, collect, generate, send."""
    dpo_profile()
    case = make_case(actor=officer, subject_email="ana@example.net")
    case_verify_identity(case=case, actor=officer, method="email_control")
    edit(officer_client, case, subject_email="new.address@example.org")
    case.refresh_from_db()
    make_events(make_window(case), 3)
    case_change_status(case=case, actor=officer, status="collecting")
    case_change_status(case=case, actor=officer, status="collected")
    add_ready_version(case)
    case_change_status(case=case, actor=officer, status="report_ready")

    panel = officer_client.get(report_page(case)).content.decode()
    assert "identity has not been verified" in panel
    blocked = officer_client.get(
        reverse("cases:report_send", args=[case.reference, 1]), follow=True
    )
    assert "identity has not been verified" in blocked.content.decode()
    assert not Delivery.objects.exists()

    case.refresh_from_db()
    case_verify_identity(case=case, actor=officer, method="email_control")
    with SmtpServer() as smtp:
        smtp.use_in(settings)
        step = confirmation(officer_client, case, 1, "link")
        officer_client.post(step["url"], step["data"])
        delivery = Delivery.objects.get()
        assert delivery_send(delivery.pk).outcome == "sent"
        [message] = smtp.messages
    assert message["To"] == "new.address@example.org"
    delivery.refresh_from_db()
    assert delivery.recipient == "new.address@example.org"
    assert case.audit_entries.get(action="report_sent").readable_details["recipient"] == (
        "new.address@example.org"
    )
