"""Every script a subject's data may carry prints with real glyphs: for one sample per script,
the glyphs the PDF draws are read back from its content and embedded fonts (fontTools), none is
.notdef (glyph 0), each has an outline in the embedded program (emoji: a picture), every
character maps back to text, and the fonts are the project's Noto fonts. Right-to-left names keep
their order inside a left-to-right line. One report, rendered once for the module."""

import io
import re

import pikepdf
import pytest
from fontTools.ttLib import TTFont
from pikepdf import Name

from cases.reports.document import render_report
from tests.factories import make_collected_case, make_events
from tests.report_reading import Glyphs, flat, pdftotext_pages, pypdf_pages, rendered_once

pytestmark = pytest.mark.django_db

SAMPLES = {
    "Latin": "Żółć Ångström façade",
    "Vietnamese": "Tiếng Việt có dấu: ưu đãi mùa hè",
    "Greek": "Καλοκαιρινές προσφορές",
    "Cyrillic": "Новинки недели для вас",
    "Arabic": "عرض خاص لك اليوم",
    "Hebrew": "מבצע מיוחד היום",
    "Devanagari": "दिवाली धमाका ऑफ़र",
    "Bengali": "বিশেষ অফার আজই",
    "Gurmukhi": "ਖਾਸ ਪੇਸ਼ਕਸ਼",
    "Gujarati": "ખાસ ઓફર આજે",
    "Oriya": "ବିଶେଷ ଅଫର",
    "Tamil": "சிறப்பு சலுகை",
    "Telugu": "ప్రత్యేక ఆఫర్",
    "Kannada": "ವಿಶೇಷ ಕೊಡುಗೆ",
    "Malayalam": "പ്രത്യേക ഓഫർ",
    "Sinhala": "විශේෂ දීමනාව",
    "Thai": "ข้อเสนอพิเศษวันนี้",
    "Chinese (simplified)": "周末特价优惠",
    "Chinese (traditional)": "週末特價優惠",
    "Japanese": "週末セールのお知らせ",
    "Korean": "주말 특별 할인",
    "Emoji": "🎉 👍🏽 👨‍👩‍👧 🇩🇪 ❤️",
}
# Scripts whose text each PDF reader gets back exactly, in logical order. In Indic scripts a
# glyph can stand for a cluster whose characters are stored in another order than they are
# drawn, and a PDF maps each glyph to one text for the whole document: there pdftotext (and for
# Oriya pypdf too) gets the words back only approximately. The glyphs are checked above, and
# the exact text is in the attached JSON and CSV.
EXACT_TEXT = {
    "pypdf": [script for script in SAMPLES if script != "Oriya"],
    "poppler": [
        *("Latin", "Vietnamese", "Greek", "Cyrillic", "Arabic", "Hebrew", "Devanagari"),
        *("Gurmukhi", "Gujarati", "Thai", "Chinese (simplified)", "Chinese (traditional)"),
        *("Japanese", "Korean", "Emoji"),
    ],
}


@pytest.fixture(scope="module")
def report(django_db_setup, django_db_blocker, tmp_path_factory):
    path = tmp_path_factory.mktemp("scripts") / "report.pdf"
    with rendered_once(django_db_blocker):
        case = make_collected_case(events=0, subject_name="Ana Example")
        make_events(
            case.windows.get(),
            specs=[
                {"message_id": f"m-{i}", "message_name": f"{sample} {i}"}
                for i, sample in enumerate(SAMPLES.values())
            ],
        )
        render_report(case, path, version=1)
    return {
        "path": path,
        "glyphs": Glyphs(path),
        "pypdf": flat("\n".join(pypdf_pages(path))),
        "poppler": flat("\n".join(pdftotext_pages(path))),
    }


def test_no_glyph_is_notdef(report):
    assert report["glyphs"].notdef() == {}


@pytest.mark.parametrize("script", list(SAMPLES))
def test_every_character_is_drawn_with_a_real_glyph(report, script):
    sample = SAMPLES[script]
    glyphs = report["glyphs"]
    missing = set(sample) - {" "} - glyphs.covered(sample)
    assert not missing, missing
    for font, ids in glyphs.fonts_for(sample).items():
        if "Emoji" in font:
            assert 0 not in ids  # drawn as pictures: checked below
            continue
        assert all(glyphs.has_outline(font, gid) for gid in ids), (font, ids)


def test_emoji_are_drawn_as_pictures(report):
    with pikepdf.open(report["path"]) as pdf:
        images = sum(
            1
            for page in pdf.pages
            for xobject in (page.obj.Resources.get(Name.XObject) or {}).values()
            if xobject.get(Name.Subtype) == Name.Image
        )
    assert images >= 1


@pytest.mark.parametrize(
    ("tool", "script"),
    [(tool, script) for tool, scripts in EXACT_TEXT.items() for script in scripts],
)
def test_text_comes_back_exactly(report, tool, script):
    assert SAMPLES[script] in report[tool]


def test_the_fonts_are_ours(report):
    families = set()
    with pikepdf.open(report["path"]) as pdf:
        for page in pdf.pages:
            for font in page.obj.Resources.get(Name.Font, {}).values():
                if Name.DescendantFonts not in font:
                    continue
                descriptor = font.DescendantFonts[0].FontDescriptor
                if Name.FontFile2 in descriptor:
                    program = TTFont(io.BytesIO(descriptor.FontFile2.read_bytes()))
                    families.add(program["name"].getDebugName(1))
    assert families and all(name.startswith("Noto") for name in families), families


def test_right_to_left_names_keep_their_order_in_a_line(report):
    # The message's number stays right of its Arabic name (isolated), not inside it.
    for tool in ("pypdf", "poppler"):
        assert re.search(r"اليوم\s*#\s*m-4 · to", report[tool]), tool
