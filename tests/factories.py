import importlib
from datetime import date, timedelta

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.utils import timezone

from cases.models import Case
from cases.services import case_create


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


# Collected data for report tests: an account, windows and events made directly (no harvest).

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


def make_account(name: str = "Netcore EU", region: str = "eu"):
    from netcore.models import NetcoreAccount
    from netcore.services import account_create

    existing = NetcoreAccount.objects.filter(name=name).first()
    return existing or account_create(name=name, region=region, api_key="test-key-0123456789")


def make_window(case, *, account=None, channel="email", start=None, end=None, status="done"):
    from cases.models import HarvestWindow

    return HarvestWindow.objects.create(
        case=case,
        account=account or make_account(),
        primary_key=case.primary_keys[0],
        channel=channel,
        start=start or case.search_from,
        end=end or case.search_to,
        status=status,
        attempts=1,
        last_error="HTTP 503 from Netcore" if status == "failed" else "",
    )


def make_events(window, count: int = 0, *, specs: list[dict] | None = None, start=None):
    """`count` events a minute apart from `start` (or one per dict in `specs`, over defaults)."""
    from datetime import UTC, datetime

    from cases.models import ActivityEvent

    start = start or datetime.combine(window.start, datetime.min.time(), tzinfo=UTC)
    specs = specs if specs is not None else [{} for _ in range(count)]
    first = window.events.count()
    events = []
    for i, spec in enumerate(specs):
        values = {**EVENT_DEFAULTS, **spec}
        extra = values.pop("extra", {})
        occurred_at = values.pop("occurred_at", start + timedelta(minutes=first + i))
        reported = occurred_at.strftime("%d %b %Y @%I:%M%p") if occurred_at else "unknown"
        raw = {
            "activity": values["activity"],
            "message_id": values["message_id"],
            "msg_name": values["message_name"],
            "activity_date": reported,
            "ip": values["ip"],
            "device": values["device"],
            "os": values["os"],
            "browser": values["browser"],
            **({"link": values["link"]} if values["link"] else {}),
            **extra,
        }
        events.append(
            ActivityEvent(
                case=window.case,
                window=window,
                position=first + i,
                channel=window.channel,
                occurred_at=occurred_at,
                activity_date_raw=raw["activity_date"],
                raw=raw,
                **values,
            )
        )
    return ActivityEvent.objects.bulk_create(events, batch_size=2000)


def make_collected_case(*, events: int = 5, failed_windows: int = 0, actor=None, **overrides):
    """A case whose collection finished: one done email window with `events` events, and
    `failed_windows` failed ones (the case is then "collection incomplete")."""
    from cases.services import case_change_status

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
