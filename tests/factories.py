from datetime import date, timedelta

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from cases.models import Case
from cases.services import case_create

OFFICERS = "Privacy officers"


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
            self.groups.add(Group.objects.get(name=OFFICERS))


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
