"""Users in each role, a restricted case, and a ready report with its files (no rendering)."""

import hashlib
import importlib

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.files.base import ContentFile

from cases.models import Delivery, Report, ReportStatus
from tests.factories import OfficerFactory, UserFactory, make_case

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


@pytest.fixture
def private_dir(tmp_path, monkeypatch):
    """Reports go to a temporary private folder (never under a served URL)."""
    storage = Report._meta.get_field("file").storage
    monkeypatch.setattr(storage, "_location", str(tmp_path / "private"))
    for cached in ("base_location", "location"):
        monkeypatch.delitem(storage.__dict__, cached, raising=False)
    return tmp_path / "private"


STAND_IN_FILES = {
    "file": b"%PDF-1.7 stand-in",
    "json_file": b"[]",
    "csv_file": b"channel,activity\n",
}


def make_ready_report(case, version: int = 1) -> Report:
    """A ready report version with small stand-in files and their SHA-256 (the renderer has its
    own tests)."""
    found = Report.objects.create(case=case, version=version, status=ReportStatus.READY)
    names = {"file": found.filename, "json_file": "events.json", "csv_file": "events.csv"}
    for field, data in STAND_IN_FILES.items():
        getattr(found, field).save(names[field], ContentFile(data), save=False)
    digests = {k: hashlib.sha256(v).hexdigest() for k, v in STAND_IN_FILES.items()}
    found.sha256, found.json_sha256, found.csv_sha256 = (
        digests["file"],
        digests["json_file"],
        digests["csv_file"],
    )
    found.size, found.pages = len(STAND_IN_FILES["file"]), 1
    found.save()
    return found


@pytest.fixture
def case(officer):
    return make_case(actor=officer, assigned_officer=officer)


@pytest.fixture
def report(case, private_dir):
    return make_ready_report(case)


@pytest.fixture
def restricted_case(officer, private_dir):
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
