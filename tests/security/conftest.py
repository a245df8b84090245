"""Users in each role, a restricted case, and a ready report with its files (no rendering)."""

import hashlib
import importlib

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.files.base import ContentFile

from cases.models import Delivery, PreparedCaseFile, Report, ReportStatus
from tests.factories import STAND_IN_FILES, OfficerFactory, ReportFactory, UserFactory, make_case

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


def make_prepared_case_file(case) -> PreparedCaseFile:
    """A ready case-file PDF of `case` (a small stand-in file and its SHA-256)."""
    data = STAND_IN_FILES["file"]
    prepared = PreparedCaseFile.objects.create(
        case=case,
        status=ReportStatus.READY,
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
    )
    prepared.file.save(prepared.filename, ContentFile(data))
    return prepared


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
    make_prepared_case_file(case)
    return case
