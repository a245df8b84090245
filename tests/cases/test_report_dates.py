"""The date printed as "answered" is the date the answer is sent: the report states when it was
prepared (so a stored version and its SHA-256 never change), and the email that sends it states
the day it is sent."""

import hashlib
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from pypdf import PdfReader

from cases.reports import delivery, generation
from cases.services import case_verify_identity
from tests.delivery_fixtures import dpo_profile
from tests.factories import make_collected_case

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")


@pytest.fixture(autouse=True)
def setup(settings, private_storage):
    settings.REPORT_RENDER_PROCESSES = 1
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def test_prepared_on_one_day_sent_on_another(officer):
    with time_machine.travel(datetime(2026, 3, 2, 10, 0, tzinfo=LONDON), tick=False):
        case = make_collected_case(events=2, actor=officer)
        case_verify_identity(case=case, actor=officer, method="email_control")
        made = generation.report_build(generation.report_request(case=case, actor=officer).pk)
    text = " ".join("".join(p.extract_text() for p in PdfReader(made.file.path).pages).split())
    assert "Report prepared 2 March 2026" in text

    dpo_profile()
    with time_machine.travel(datetime(2026, 3, 5, 9, 0, tzinfo=LONDON), tick=False):
        asked, _ = delivery.delivery_request(
            report=made, actor=officer, channel="link", request_token=delivery.new_request_token()
        )
        assert delivery.delivery_send(asked.pk).outcome == "sent"

    [message] = mail.outbox
    assert "This email, sent on 5 March 2026, brings our answer." in message.body
    with open(made.file.path, "rb") as file:
        assert hashlib.sha256(file.read()).hexdigest() == made.sha256  # unchanged by sending
