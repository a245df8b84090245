"""Facts the dashboard and retention read are stored on the case when they happen: when it was
first answered (sent, or closed without sending) and when it last finished."""

import importlib
from datetime import timedelta

import pytest
import time_machine
from django.apps import apps
from django.utils import timezone

from cases.models import Case
from cases.services import case_change_status
from tests.factories import make_case, make_collected_case

pytestmark = pytest.mark.django_db


def test_first_answer_is_kept_and_finishing_follows_the_status():
    case = make_collected_case()
    case_change_status(case=case, actor=None, status="report_ready")
    first = timezone.now() - timedelta(days=3)
    with time_machine.travel(first, tick=False):
        case_change_status(case=case, actor=None, status="sent")
    case.refresh_from_db()
    assert case.answered_at == first
    assert case.finished_at == first

    case_change_status(case=case, actor=None, status="report_ready")  # reopened to send again
    case.refresh_from_db()
    assert case.answered_at == first
    assert case.finished_at is None

    case_change_status(case=case, actor=None, status="sent")
    case.refresh_from_db()
    assert case.answered_at == first
    assert case.finished_at > first


def test_a_rejected_request_is_finished_but_not_answered():
    case = make_case()
    case_change_status(case=case, actor=None, status="rejected", reason="Manifestly unfounded")
    case.refresh_from_db()
    assert case.answered_at is None
    assert case.finished_at is not None


def test_the_migration_reads_existing_trails():
    migration = importlib.import_module("cases.migrations.0007_case_answered_and_finished_at")
    sent = make_collected_case()
    case_change_status(case=sent, actor=None, status="report_ready")
    case_change_status(case=sent, actor=None, status="sent")
    case_change_status(case=sent, actor=None, status="closed")
    withdrawn = make_case()
    case_change_status(case=withdrawn, actor=None, status="withdrawn", reason="By email")
    expected = {c.pk: (c.answered_at, c.finished_at) for c in Case.objects.all()}
    Case.objects.update(answered_at=None, finished_at=None)

    migration.backfill_from_trail(apps, None)

    assert {c.pk: (c.answered_at, c.finished_at) for c in Case.objects.all()} == expected
    assert expected[sent.pk][0] < expected[sent.pk][1]  # answered when sent, finished when closed
