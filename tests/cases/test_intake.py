"""Intake validation, proven through both doors: the web form and `manage.py create_case`."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from cases.models import AuditEntry, Case

TODAY = timezone.localdate()


def form_data(**overrides):
    data = {
        "subject_name": "Ana Souza",
        "subject_email": "ana@example.com",
        "primary_keys": "ana@example.com\n+5511999990000",
        "channels": ["email", "sms"],
        "search_from": (TODAY - timedelta(days=400)).isoformat(),
        "search_to": TODAY.isoformat(),
        "received_on": TODAY.isoformat(),
        "assigned_officer": "",
    }
    data.update(overrides)
    return data


def command_args(**overrides):
    values = {
        "--subject-name": "Ana Souza",
        "--subject-email": "ana@example.com",
        "--primary-key": ["ana@example.com", "+5511999990000"],
        "--channels": "email,sms",
        "--from": (TODAY - timedelta(days=400)).isoformat(),
        "--to": TODAY.isoformat(),
    }
    values.update(overrides)
    args = []
    for flag, value in values.items():
        if value is None:
            continue
        for item in value if isinstance(value, list) else [value]:
            args += [flag, item]
    return args


def run_create_case(*args):
    out, err = StringIO(), StringIO()
    call_command("create_case", *args, stdout=out, stderr=err)
    return out.getvalue()


def test_form_creates_case_with_deadline_and_audit(officer_client, officer):
    response = officer_client.post(
        reverse("cases:create"), form_data(assigned_officer=str(officer.pk))
    )
    case = Case.objects.get()
    assert response.status_code == 302
    assert response["Location"] == case.get_absolute_url()
    assert case.reference == f"DSAR-{TODAY.year}-0001"
    assert case.primary_keys == ["ana@example.com", "+5511999990000"]
    assert case.channels == ["email", "sms"]
    assert case.assigned_officer == officer
    assert case.status == "received"
    entry = AuditEntry.objects.get(case=case)
    assert entry.action == "created"
    assert entry.actor_label == "olivia"


def test_command_prints_only_the_reference(db, officer):
    out = run_create_case(*command_args(**{"--officer": "olivia", "--received": TODAY.isoformat()}))
    case = Case.objects.get()
    assert out == f"{case.reference}\n"
    assert case.assigned_officer == officer
    assert case.primary_keys == ["ana@example.com", "+5511999990000"]


def test_numbers_follow_without_gaps_after_a_rejected_request(db):
    first = run_create_case(*command_args()).strip()
    with pytest.raises(CommandError):
        run_create_case(*command_args(**{"--subject-email": "nope"}))
    second = run_create_case(*command_args()).strip()
    assert first.endswith("-0001")
    assert second.endswith("-0002")


FUTURE = (TODAY + timedelta(days=1)).isoformat()
TOO_EARLY = (TODAY - timedelta(days=1827)).isoformat()

BAD_INPUT = [
    # (form overrides, command overrides, field, message fragment)
    (
        {"subject_email": "not-an-email"},
        {"--subject-email": "not-an-email"},
        "subject_email",
        "valid email",
    ),
    ({"primary_keys": "  \n "}, {"--primary-key": ["  "]}, "primary_keys", "at least one"),
    ({"channels": ["fax"]}, {"--channels": "fax"}, "channels", "fax"),
    ({"channels": []}, {"--channels": ","}, "channels", "at least one channel"),
    (
        {"search_from": TODAY.isoformat(), "search_to": (TODAY - timedelta(days=2)).isoformat()},
        {"--from": TODAY.isoformat(), "--to": (TODAY - timedelta(days=2)).isoformat()},
        "search_to",
        "on or after",
    ),
    ({"search_to": FUTURE}, {"--to": FUTURE}, "search_to", "future"),
    ({"search_from": TOO_EARLY}, {"--from": TOO_EARLY}, "search_from", "at most 1827 days"),
    ({"received_on": FUTURE}, {"--received": FUTURE}, "received_on", "future"),
    ({"search_from": "2026-02-30"}, {"--from": "2026-02-30"}, "search_from", "valid date"),
    ({"subject_name": ""}, {"--subject-name": ""}, "subject_name", "required"),
]


@pytest.mark.parametrize(("form_overrides", "command_overrides", "field", "message"), BAD_INPUT)
def test_form_shows_error_beside_field_and_keeps_input(
    officer_client, form_overrides, command_overrides, field, message
):
    data = form_data(**form_overrides)
    # Refused with a redirect (a reload sends nothing again); the next page shows the errors and
    # the input once.
    response = officer_client.post(reverse("cases:create"), data, follow=True)
    assert response.redirect_chain == [(reverse("cases:create"), 302)]
    errors = response.context["form"].errors
    assert field in errors
    assert message in " ".join(errors[field])
    html = response.content.decode()
    assert f'id="id_{field}_error"' in html
    assert 'value="Ana Souza"' in html or field == "subject_name"
    assert Case.objects.count() == 0
    assert AuditEntry.objects.count() == 0
    assert not officer_client.get(reverse("cases:create")).context["form"].is_bound


@pytest.mark.parametrize(("form_overrides", "command_overrides", "field", "message"), BAD_INPUT)
def test_command_exits_non_zero_with_message(db, form_overrides, command_overrides, field, message):
    with pytest.raises(CommandError) as caught:
        run_create_case(*command_args(**command_overrides))
    assert f"{field}:" in str(caught.value)
    assert message in str(caught.value)
    assert Case.objects.count() == 0


def test_command_rejects_unknown_officer(db):
    with pytest.raises(CommandError, match="no user named 'ghost'"):
        run_create_case(*command_args(**{"--officer": "ghost"}))
    assert Case.objects.count() == 0


def test_command_exit_status_and_stderr_in_a_real_process(db, tmp_path):
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "manage.py", "create_case", *command_args(**{"--channels": "fax"})],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert result.stdout == ""
    assert "channels:" in result.stderr
