"""The languages a subject can be answered in: the one list, and what a subject-facing document
in the case's language needs.

Invariants:
- Everything the subject reads (the report, the emails, the public download pages) is rendered
  inside `translation.override(case.language)`; officer-facing pages stay English.
- A message without a translation in the catalogue (locale/<code>/LC_MESSAGES/django.po,
  compiled to .mo by the set-up) reads in English; so does an Art. 15 text of the organisation
  profile that has no version in the case's language. Both are shown to the officer before
  sending (`missing_translations`).
- Netcore's data is never translated: it is shown exactly as Netcore recorded it.
- Days and months in a subject's document are written by `long_day`, `short_day`, `month_year`
  and `month_abbreviations` in the current language, from the tables below (our own, not the C
  library's locale nor Django's month catalogues, whose Hindi names are misspelt); numbers by
  `number`, with Django's separators for the language.
"""

from datetime import date

from django.utils import formats, translation

ENGLISH = "en"
# (code, its name for the officer): settings.LANGUAGES, Case.language and create_case read it.
LANGUAGE_CHOICES = [
    ("en", "English"),
    ("de", "German"),
    ("fr", "French"),
    ("es", "Spanish"),
    ("hi", "Hindi"),
]
LANGUAGE_NAMES = dict(LANGUAGE_CHOICES)

MONTHS = {
    code: names.split()
    for code, names in {
        "en": "January February March April May June July August September October November "
        "December",
        "de": "Januar Februar März April Mai Juni Juli August September Oktober November Dezember",
        "fr": "janvier février mars avril mai juin juillet août septembre octobre novembre "
        "décembre",
        "es": "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre "
        "diciembre",
        "hi": "जनवरी फ़रवरी मार्च अप्रैल मई जून जुलाई अगस्त सितंबर अक्टूबर नवंबर दिसंबर",
    }.items()
}
SHORT_MONTHS = {
    "en": ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"],
    "de": [
        "Jan.",
        "Feb.",
        "März",
        "Apr.",
        "Mai",
        "Juni",
        "Juli",
        "Aug.",
        "Sept.",
        "Okt.",
        "Nov.",
        "Dez.",
    ],
    "fr": [
        "janv.",
        "févr.",
        "mars",
        "avr.",
        "mai",
        "juin",
        "juil.",
        "août",
        "sept.",
        "oct.",
        "nov.",
        "déc.",
    ],
    "es": [
        "ene.",
        "feb.",
        "mar.",
        "abr.",
        "may.",
        "jun.",
        "jul.",
        "ago.",
        "sept.",
        "oct.",
        "nov.",
        "dic.",
    ],
    "hi": MONTHS["hi"],  # Hindi writes months in full
}
# How a day is written: {d} day, {m} month (name or abbreviation), {y} year.
DAY_PATTERNS = {
    "en": "{d} {m} {y}",
    "de": "{d}. {m} {y}",
    "fr": "{d} {m} {y}",
    "es": "{d} de {m} de {y}",
    "hi": "{d} {m} {y}",
}
SHORT_DAY_PATTERNS = DAY_PATTERNS | {"es": "{d} {m} {y}"}
MONTH_YEAR_PATTERNS = {"es": "{m} de {y}"}
# Languages whose month names the chart's SVG text cannot draw (see chart_month_labels).
UNSHAPED_CHART_LANGUAGES = frozenset({"hi"})


def current() -> str:
    """The current language if it is one of ours, else English."""
    language = (translation.get_language() or ENGLISH).split("-")[0]
    return language if language in MONTHS else ENGLISH


def _day_number(day: int, language: str) -> str:
    return "1er" if language == "fr" and day == 1 else str(day)


def long_day(value: date) -> str:
    """'20 November 2026', '20. November 2026', '1er novembre 2026', '20 de noviembre de 2026',
    '20 नवंबर 2026'."""
    language = current()
    return DAY_PATTERNS[language].format(
        d=_day_number(value.day, language), m=MONTHS[language][value.month - 1], y=value.year
    )


def short_day(value: date) -> str:
    """'20 Nov 2026', '20. Nov. 2026', '20 nov. 2026'…"""
    language = current()
    return SHORT_DAY_PATTERNS[language].format(
        d=value.day, m=SHORT_MONTHS[language][value.month - 1], y=value.year
    )


def month_year(value: date) -> str:
    """'November 2026', 'noviembre de 2026'."""
    language = current()
    pattern = MONTH_YEAR_PATTERNS.get(language, "{m} {y}")
    return pattern.format(m=MONTHS[language][value.month - 1], y=value.year)


def month_abbreviations() -> list[str]:
    """The twelve short month names of the current language."""
    return SHORT_MONTHS[current()]


def chart_month_label(month: date, *, with_year: bool) -> str:
    """A month on the report chart's axis: its short name ("Nov", "Nov 2026"), except where
    the script needs shaping (Devanagari), which WeasyPrint's SVG text does not do: its number
    ("11", "11/2026")."""
    language = current()
    if language in UNSHAPED_CHART_LANGUAGES:
        return f"{month.month:02d}/{month.year}" if with_year else f"{month.month:02d}"
    name = SHORT_MONTHS[language][month.month - 1]
    return f"{name} {month.year}" if with_year else name


def number(value: int) -> str:
    """A count with the current language's thousands separator: 12,345 · 12.345 · 12 345."""
    return formats.number_format(value, force_grouping=True)


# A sentence of the report's cover letter: translated in every catalogue that is complete, so
# an English answer here means the case's language has no usable catalogue.
CATALOGUE_PROBE = "Your request for a copy of your personal data"


def catalogue_missing(language: str) -> bool:
    """True when the message catalogue of `language` is missing (not compiled, or empty)."""
    if language == ENGLISH:
        return False
    with translation.override(language):
        return translation.gettext(CATALOGUE_PROBE) == CATALOGUE_PROBE


def missing_translations(language: str, profile) -> list[str]:
    """What the subject would read in English instead of `language`, in the officer's words:
    empty when everything is translated."""
    if language == ENGLISH:
        return []
    name = LANGUAGE_NAMES.get(language, language)
    warnings = []
    if catalogue_missing(language):
        warnings.append(
            f"The report's and emails' wording has no {name} translation installed; "
            "the subject gets them in English."
        )
    missing = profile.untranslated_fields(language)
    if len(missing) == len(profile.TRANSLATED_FIELDS):
        warnings.append(
            f"The organisation's Art. 15 text has no {name} version; the report uses English "
            "for it."
        )
    elif missing:
        labels = ", ".join(profile.field_label(f) for f in missing)
        warnings.append(
            f"The organisation's Art. 15 text has no {name} version of: {labels}; the report "
            "uses English for these."
        )
    return warnings
