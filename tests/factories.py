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
