"""Users in each role, a restricted case, and a ready report with its files (no rendering)."""

import importlib

import pytest
from django.contrib.auth.models import Group, Permission

from cases.models import Delivery, Report
from tests.factories import OfficerFactory, ReportFactory, UserFactory, make_case

PASSWORD = "correct horse battery staple"


def auditors_group() -> Group:
    """The group the data migrations create (made again after a transactional test's flush)."""
    made = importlib.import_module("cases.migrations.0006_restricted_cases_and_auditors")
    granted = importlib.import_module("cases.migrations.0031_auditors_read_restricted_cases")
    group, created = Group.objects.get_or_create(name=made.GROUP)
    if created:
        group.permissions.set(
            Permission.objects.filter(
                content_type__app_label="cases",
                codename__in=[*made.PERMISSIONS, *granted.PERMISSIONS],
            )
        )
    return group


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Sign-in tests sign in dozens of times: a fast hasher keeps them quick (autouse fixtures
    run before the users are made)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def auditor(db):
    user = UserFactory(username="audrey", first_name="Audrey", last_name="Auditor")
    user.groups.add(auditors_group())
    return user


@pytest.fixture
def other_officer(db):
    return OfficerFactory(username="oscar", first_name="Oscar", last_name="Other")


@pytest.fixture
def admin_user(db, django_user_model):
    return django_user_model.objects.create_superuser("ada", "ada@example.com", PASSWORD)


def make_ready_report(case, version: int = 1) -> Report:
    """A ready report version with small stand-in files (the renderer has its own tests)."""
    return ReportFactory(case=case, version=version)


@pytest.fixture
def case(officer):
    return make_case(actor=officer, assigned_officer=officer)


@pytest.fixture
def report(case, private_storage):
    return make_ready_report(case)


@pytest.fixture
def restricted_case(officer, private_storage):
    """Restricted to Olivia (the `officer` fixture), with a ready report."""
    case = make_case(
        actor=officer,
        assigned_officer=officer,
        restricted=True,
        subject_name="Rita Restricted",
        subject_email="rita@example.com",
        primary_keys=["rita@example.com"],
    )
    report = make_ready_report(case)
    Delivery.objects.create(report=report, recipient=case.subject_email, channel="link")
    return case
