"""First run: an officer (staff, Privacy officers, not a superuser) and an admin, each password
printed once; with --announce, printed last, once the portal answers, set apart from the log."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from cases.access import OFFICERS_GROUP
from tests.factories import officers_group

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def group(transactional_db):
    """The group the migration makes (made again after the live server's flush)."""
    return officers_group()


def bootstrap(*args) -> str:
    out = StringIO()
    call_command("bootstrap", *args, stdout=out)
    return out.getvalue()


def password_of(output: str, username: str) -> str:
    line = next(line for line in output.splitlines() if f"username {username}" in line)
    return line.split("password")[-1].strip()


def test_first_run_makes_an_officer_and_an_admin(live_server):
    out = bootstrap("--announce", live_server.url + "/")
    users = get_user_model().objects
    officer, admin = users.get(username="officer"), users.get(username="admin")
    assert officer.is_staff and not officer.is_superuser
    assert list(officer.groups.values_list("name", flat=True)) == [OFFICERS_GROUP]
    assert officer.has_perm("cases.work_case")
    assert admin.is_superuser
    # The address and the passwords come last, set apart by a rule.
    lines = out.rstrip().splitlines()
    assert lines[-1].startswith("═") and any(line.startswith("═") for line in lines[:-1])
    assert f"The DSAR portal is running: {live_server.url}/" in out
    assert officer.check_password(password_of(out, "officer"))
    assert admin.check_password(password_of(out, "admin"))
    assert "shown only this once" in out


def test_a_second_run_makes_nothing_and_says_how_to_get_in(live_server):
    bootstrap()
    out = bootstrap("--announce", live_server.url + "/")
    assert get_user_model().objects.count() == 2
    assert "username officer" not in out and "username admin" not in out
    assert "python manage.py changepassword officer" in out
    assert "python manage.py createsuperuser" in out
