"""A case's language: chosen at intake (web form or `create_case --language`), defaulting to the
organisation profile's; recorded in the trail, shown on the case page and changeable later."""

import re

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError
from django.urls import reverse

from cases.languages import LANGUAGE_NAMES, missing_translations
from cases.models import Case, OrganisationProfile
from cases.services import case_update
from tests.cases.test_regime_at_intake import create_case_command, intake, set_profile
from tests.factories import make_case

pytestmark = pytest.mark.django_db


def test_the_form_offers_the_profile_default_and_every_language(officer_client):
    set_profile(default_language="hi")
    page = officer_client.get(reverse("cases:create")).content.decode()
    select = re.search(r'<select name="language".*?</select>', page, re.S).group(0)
    options = re.findall(r'<option value="([^"]+)"( selected)?>', select)
    assert [value for value, _ in options] == list(LANGUAGE_NAMES)
    assert [value for value, selected in options if selected] == ["hi"]


def test_the_form_logs_the_chosen_language_and_the_trail_records_it(officer_client):
    officer_client.post(reverse("cases:create"), intake(language="fr"))
    case = Case.objects.get()
    assert case.language == "fr"
    assert case.audit_entries.get(action="created").details["language"] == "fr"
    page = officer_client.get(case.get_absolute_url()).content.decode()
    assert "<dt>Subject's language</dt><dd>French</dd>" in page


def test_left_out_the_language_is_the_profiles_default(officer_client):
    set_profile(default_language="es")
    officer_client.post(reverse("cases:create"), intake())
    assert Case.objects.get().language == "es"


def test_a_language_we_do_not_have_is_refused(officer_client):
    response = officer_client.post(reverse("cases:create"), intake(language="it"), follow=True)
    assert "language" in response.context["form"].errors
    assert not Case.objects.exists()


@pytest.mark.parametrize("language", list(LANGUAGE_NAMES))
def test_create_case_takes_each_language(language):
    assert create_case_command(f"--language={language}").language == language


def test_create_case_defaults_to_the_profiles_language_and_refuses_others():
    set_profile(default_language="de")
    assert create_case_command().language == "de"
    with pytest.raises(CommandError, match="invalid choice: 'it'"):
        create_case_command("--language=it")


def test_the_language_can_change_after_collection_started(officer):
    case = make_case(actor=officer, language="en")
    Case.objects.filter(pk=case.pk).update(status="collected")
    case.refresh_from_db()
    case_update(case=case, actor=officer, language="hi")
    case.refresh_from_db()
    assert case.language == "hi"
    changed = case.audit_entries.filter(action="updated").last().details
    assert changed["changes"]["language"] == {"old": "en", "new": "hi"}


def test_the_profile_refuses_texts_in_a_language_or_field_it_does_not_know():
    profile = OrganisationProfile.load()
    for translations, problem in (
        ({"it": {"purposes": "…"}}, "'it' is not a language of ours"),
        ({"de": {"controller_name": "…"}}, "'controller_name' is not a translated field"),
        ({"de": {"purposes": 3}}, "de.purposes: give a text"),
        (["de"], "Give an object keyed by language code"),
    ):
        profile.translations = translations
        with pytest.raises(ValidationError, match=re.escape(problem)):
            profile.full_clean()
    profile.translations = {"de": {"purposes": "Wir verwenden diese Daten."}}
    profile.full_clean()
    assert profile.untranslated_fields("de") == [
        name for name in profile.TRANSLATED_FIELDS if name != "purposes"
    ]
    assert profile.in_language("de").purposes == "Wir verwenden diese Daten."
    assert profile.in_language("fr").purposes == profile.purposes


def test_a_language_whose_catalogue_is_not_compiled_is_flagged(settings, tmp_path):
    profile = OrganisationProfile.load()
    profile.translations = {"de": {name: "…" for name in profile.TRANSLATED_FIELDS}}
    assert missing_translations("de", profile) == []
    settings.LOCALE_PATHS = [tmp_path]  # no .mo files there: the report would read English
    assert missing_translations("de", profile) == [
        "The report's and emails' wording has no German translation installed; the subject "
        "gets them in English."
    ]
