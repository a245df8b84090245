import hashlib
import importlib
from datetime import UTC, date, datetime, timedelta

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.files.base import ContentFile
from django.utils import timezone

from cases.models import (
    ActivityEvent,
    Case,
    HarvestWindow,
    Report,
    ReportStatus,
    WindowFailure,
    WindowStatus,
)
from cases.services import case_change_status, case_create
from netcore.models import NetcoreAccount
from netcore.services import account_create


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.django.Password("correct horse battery staple")


class OfficerFactory(UserFactory):
    username = factory.Sequence(lambda n: f"officer{n}")

    @factory.post_generation
    def officer_group(self, create, extracted, **kwargs):
        if create:
            self.groups.add(officers_group())


def officers_group() -> Group:
    """The group the data migration creates (made again after a transactional test's flush)."""
    migration = importlib.import_module("cases.migrations.0002_privacy_officers_group")
    group, created = Group.objects.get_or_create(name=migration.GROUP)
    if created:
        group.permissions.add(
            *Permission.objects.filter(
                content_type__app_label="cases", codename__in=migration.PERMISSIONS
            )
        )
    return group


def make_case(*, actor=None, **overrides) -> Case:
    """A case created through the service, as the intake form would (so it is audited)."""
    today = timezone.localdate()
    values = {
        "subject_name": "Alex Example",
        "subject_email": "alex@example.com",
        "primary_keys": ["alex@example.com"],
        "channels": ["email", "sms"],
        "search_from": today - timedelta(days=30),
        "search_to": today,
        "received_on": today,
        "assigned_officer": None,
    }
    values.update(overrides)
    return case_create(actor=actor, **values)


def d(text: str) -> date:
    return date.fromisoformat(text)


# Collected data made directly (no harvest): an account, windows, events and report versions.

EVENT_DEFAULTS = {
    "activity": "open",
    "message_id": "m-1",
    "message_name": "Spring newsletter",
    "ip": "192.0.2.10",
    "device": "mobile",
    "os": "Android",
    "browser": "Chrome",
    "link": "",
}


def make_account(name: str = "Netcore EU", region: str = "eu") -> NetcoreAccount:
    existing = NetcoreAccount.objects.filter(name=name).first()
    return existing or account_create(name=name, region=region, api_key="test-key-0123456789")


class HarvestWindowFactory(factory.django.DjangoModelFactory):
    """A window of `case` (required), done by default, over the case's whole range."""

    class Meta:
        model = HarvestWindow

    account = factory.LazyFunction(make_account)
    primary_key = factory.LazyAttribute(lambda window: window.case.primary_keys[0])
    channel = "email"
    start = factory.LazyAttribute(lambda window: window.case.search_from)
    end = factory.LazyAttribute(lambda window: window.case.search_to)
    status = WindowStatus.DONE
    attempts = 1
    tries = 1
    failure = factory.LazyAttribute(
        lambda window: WindowFailure.NETCORE if window.status == WindowStatus.FAILED else ""
    )
    last_error = factory.LazyAttribute(
        lambda window: (
            "ServerError: HTTP 503 from Netcore" if window.status == WindowStatus.FAILED else ""
        )
    )


class ActivityEventFactory(factory.django.DjangoModelFactory):
    """An event of `window` (required), as Netcore reported it: `raw` holds the same fields."""

    class Meta:
        model = ActivityEvent

    case = factory.LazyAttribute(lambda event: event.window.case)
    position = factory.LazyAttribute(lambda event: event.window.events.count())
    channel = factory.LazyAttribute(lambda event: event.window.channel)
    activity = EVENT_DEFAULTS["activity"]
    occurred_at = factory.LazyAttribute(
        lambda event: (
            datetime.combine(event.window.start, datetime.min.time(), tzinfo=UTC)
            + timedelta(minutes=event.position)
        )
    )
    activity_date_raw = factory.LazyAttribute(
        lambda event: (
            event.occurred_at.strftime("%d %b %Y @%I:%M%p") if event.occurred_at else "unknown"
        )
    )
    message_id = EVENT_DEFAULTS["message_id"]
    message_name = EVENT_DEFAULTS["message_name"]
    ip = EVENT_DEFAULTS["ip"]
    device = EVENT_DEFAULTS["device"]
    os = EVENT_DEFAULTS["os"]
    browser = EVENT_DEFAULTS["browser"]
    link = EVENT_DEFAULTS["link"]
    raw = factory.LazyAttribute(
        lambda event: {
            "activity": event.activity,
            "message_id": event.message_id,
            "msg_name": event.message_name,
            "activity_date": event.activity_date_raw,
            "ip": event.ip,
            "device": event.device,
            "os": event.os,
            "browser": event.browser,
            **({"link": event.link} if event.link else {}),
            **event.extra,
        }
    )

    class Params:
        extra: dict = {}  # fields Netcore sent that we do not know, kept in `raw`


STAND_IN_FILES = {
    "file": b"%PDF-1.7 stand-in",
    "json_file": b"[]",
    "csv_file": b"channel,activity\n",
}


class ReportFactory(factory.django.DjangoModelFactory):
    """A ready version of `case`'s report (required) with small stand-in files in the private
    storage (use the `private_storage` fixture); the renderer has its own tests."""

    class Meta:
        model = Report
        skip_postgeneration_save = True

    version = factory.LazyAttribute(lambda report: report.case.reports.count() + 1)
    status = ReportStatus.READY
    # Recorded as a build records them: the files are served and sent only as they were made.
    sha256 = hashlib.sha256(STAND_IN_FILES["file"]).hexdigest()
    json_sha256 = hashlib.sha256(STAND_IN_FILES["json_file"]).hexdigest()
    csv_sha256 = hashlib.sha256(STAND_IN_FILES["csv_file"]).hexdigest()
    size = len(STAND_IN_FILES["file"])
    pages = 1

    @factory.post_generation
    def files(report, create, extracted, **kwargs):
        if not create:
            return
        names = {"file": report.filename, "json_file": "events.json", "csv_file": "events.csv"}
        for field, data in STAND_IN_FILES.items():
            getattr(report, field).save(names[field], ContentFile(data), save=False)
        report.save()


def make_window(case, *, account=None, channel="email", start=None, end=None, status="done"):
    return HarvestWindowFactory(
        case=case,
        account=account or make_account(),
        channel=channel,
        start=start or case.search_from,
        end=end or case.search_to,
        status=status,
    )


def make_events(window, count: int = 0, *, specs: list[dict] | None = None, start=None):
    """`count` events a minute apart from `start` (or one per dict in `specs`, over defaults)."""
    start = start or datetime.combine(window.start, datetime.min.time(), tzinfo=UTC)
    specs = specs if specs is not None else [{} for _ in range(count)]
    first = window.events.count()
    return [
        ActivityEventFactory(
            window=window,
            position=first + i,
            **{"occurred_at": start + timedelta(minutes=first + i), **spec},
        )
        for i, spec in enumerate(specs)
    ]


def make_collected_case(*, events: int = 5, failed_windows: int = 0, actor=None, **overrides):
    """A case whose collection finished: one done email window with `events` events, and
    `failed_windows` failed ones (the case is then "collection incomplete")."""
    case = make_case(actor=actor, **overrides)
    window = make_window(case)
    make_events(window, events)
    for i in range(failed_windows):
        make_window(
            case,
            channel="sms",
            start=case.search_from + timedelta(days=7 * i),
            end=case.search_from + timedelta(days=7 * i + 6),
            status="failed",
        )
    case_change_status(case=case, actor=actor, status="collecting")
    case_change_status(
        case=case, actor=actor, status="collection_incomplete" if failed_windows else "collected"
    )
    return case
