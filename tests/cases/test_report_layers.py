"""The access report read back as its subject reads it: a one-page overview, one entry per
message, every event with every field, one named time zone, plain words, an honest scope; and a
well-formed joined PDF (bookmarks, one valid structure tree, distinct subset tags, text that
extracts as stored, attachments). One report, rendered once for the module, in several parts."""

import csv
import hashlib
import io
import json
import re
from collections import defaultdict
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pikepdf
import pytest
from pypdf import PdfReader

from cases.models import OtherSystem, SystemCheck
from cases.reports.document import render_report
from netcore.services import account_create
from tests.factories import make_collected_case, make_events, make_window
from tests.report_reading import (
    figure_alternatives,
    flat,
    outline_titles,
    pdftotext_pages,
    pypdf_pages,
    rendered_once,
    structure_problems,
    structure_types,
    subset_names,
)

# The report is made once (module fixture); the mark makes the test database available to it.
pytestmark = pytest.mark.django_db
BERLIN = ZoneInfo("Europe/Berlin")
SENT = datetime(2026, 1, 3, 17, 7, tzinfo=UTC)  # 18:07 in Berlin
NAMES = ["Ελένη, προσφορές για σένα", "Новинки недели для вас", "Żółć & Zoë’s weekly"]


@pytest.fixture(scope="module")
def report(django_db_setup, django_db_blocker, tmp_path_factory):
    path = tmp_path_factory.mktemp("report") / "report.pdf"
    with rendered_once(django_db_blocker):
        case = make_collected_case(
            events=0, subject_name="Ana Example", subject_timezone="Europe/Berlin"
        )
        account = account_create(
            name="Hostile (custom endpoint)",
            region="eu",
            api_key="test-key-0123456789",
            timezone="Asia/Kolkata",
        )
        case.windows.all().delete()
        email = make_window(case, account=account)
        sms = make_window(case, account=account, channel="sms")
        digest = {"message_id": "9106", "message_name": "Weekly digest"}
        make_events(
            email,
            specs=[
                {**digest, "activity": "sent", "occurred_at": SENT, "ip": "", "device": ""},
                {**digest, "occurred_at": SENT.replace(minute=37), "device": "DESKTOP"},
                {**digest, "occurred_at": SENT.replace(minute=37), "device": "DESKTOP"},
                {
                    **digest,
                    "activity": "bounce",
                    "occurred_at": SENT.replace(hour=18),
                    "extra": {"bounce_type": "soft", "bounce_reason": "mailbox full"},
                },
                {
                    "activity": "click",
                    "message_id": "m-2",
                    "message_name": NAMES[0],
                    "device": "DESKTOP",
                    "os": "UNIX",
                    "browser": "Google Chrome",
                    "link": "https://shop.example.com/el/προσφορές?id=7",
                    "occurred_at": SENT.replace(day=4),
                    "extra": {"campaign_tag": "spring-26"},
                },
                *(
                    {"message_id": f"m-{3 + i}", "message_name": name, "occurred_at": None}
                    for i, name in enumerate(NAMES[1:])
                ),
                {"activity": "wobble", "message_id": "m-9", "message_name": "Odd"},
            ],
        )
        make_events(
            sms,
            specs=[
                {"activity": "sent", "message_id": "s-1", "message_name": "Code", "ip": ""},
                {"activity": "dnd", "message_id": "s-2", "message_name": "Offer", "ip": ""},
            ],
        )
        shop = OtherSystem.objects.create(name="Shop database", holds="orders", position=1)
        desk = OtherSystem.objects.create(name="Support desk", holds="tickets", position=2)
        SystemCheck.objects.create(case=case, system=shop, outcome="no_data")
        SystemCheck.objects.create(
            case=case, system=desk, outcome="not_searched", note="it keeps tickets for 30 days"
        )
        # Small parts: the layers and the annex are each joined from several.
        with pytest.MonkeyPatch.context() as patch:
            from django.conf import settings

            patch.setattr(settings, "REPORT_EVENTS_PER_PART", 3)
            result = render_report(case, path, version=2)
        stored = [
            {
                "channel": e.channel,
                "occurred_at": e.occurred_at,
                "activity_date_raw": e.activity_date_raw,
                "raw": e.raw,
                "message_id": e.message_id,
            }
            for e in case.events.order_by("channel", "occurred_at", "id")
        ]
        reference = case.reference
    pypdf_text, poppler_text = pypdf_pages(path), pdftotext_pages(path)
    return {
        "path": path,
        "result": result,
        "stored": stored,
        "reference": reference,
        "pypdf": pypdf_text,
        "poppler": poppler_text,
        "text": flat("\n".join(pypdf_text)),
    }


def section(report, start: str, end: str | None) -> str:
    text = report["text"]
    begin = text.index(start)
    return text[begin : text.index(end, begin) if end else None]


def test_every_section_has_a_bookmark_in_order(report):
    titles = [title for title, _page in outline_titles(report["path"])]
    top = [t for t in titles if t[0].isdigit() or not t.startswith(("Our", "Email", "SMS"))]
    assert top[:5] == [
        "Your request for a copy of your personal data",
        "How to read this report",
        "1. Confirmation and information about the processing",
        "2. What we searched",
        "3. Summary of your data",
    ]
    for title in (
        "4. Your messages: Email",
        "4. Your messages: SMS",
        "5. Every event: Email",
        "5. Every event: SMS",
        "6. Glossary",
    ):
        assert title in titles
    pages = [page for _title, page in outline_titles(report["path"])]
    assert pages == sorted(pages)


def test_the_overview_is_one_page_in_plain_words(report):
    first, second = flat(report["pypdf"][0]), flat(report["pypdf"][1])
    assert "In short" in first and "What you can do next" in first
    assert "What we hold: 10 records of the marketing messages we sent you by email and SMS" in (
        first
    )
    assert "(7 messages)" in first
    assert "Where it is held: Netcore Cloud, our email and SMS provider, EU data centre." in first
    assert "Shop database, no data held; Support desk, not searched" in first
    assert second.startswith("How to read this report")


def test_each_message_is_one_entry_with_its_events_in_time_order(report):
    messages = section(report, "4. Your messages: Email", "5. Every event: Email")
    assert (
        "Weekly digest #9106 · to alex@example.com · sent 3 Jan 2026 18:07 → opened 18:37 "
        "(2 records) → bounced: mailbox full (soft) 19:07"
    ) in messages
    assert "not sent (do not disturb)" in messages
    for message_id in ("9106", "m-2", "m-3", "m-4", "m-9", "s-1", "s-2"):
        assert len(re.findall(rf"#{message_id}\b", messages)) == 1, message_id


def test_both_layers_and_the_attachments_hold_every_stored_event(report):
    stored = report["stored"]
    result = report["result"]
    assert result.event_count == len(stored) == 10 and result.message_count == 7
    how_to_read = section(report, "How to read this report", "1. Confirmation")
    assert "10 events in 7 messages" in how_to_read
    assert "The three agree: each holds all 10 events we found." in how_to_read
    annex = section(report, "5. Every event: Email", "6. Glossary")
    per_channel = defaultdict(list)
    channel = None
    for match in re.finditer(
        r"5\. Every event: (Email|SMS)|#(\d+) (\d{1,2} \w{3} \d{4}|time)", annex
    ):
        if match.group(1):
            channel = match.group(1)
        else:
            per_channel[channel].append(int(match.group(2)))
    assert per_channel == {"Email": list(range(1, 9)), "SMS": [1, 2]}
    # The messages layer counts every event: records folded into "(n records)" included.
    messages = section(report, "4. Your messages: Email", "5. Every event: Email")
    assert messages.count("(2 records) →") == 1


def test_every_time_is_in_the_case_zone_and_named(report):
    how_to_read = section(report, "How to read this report", "1. Confirmation")
    assert "Every time in this report is in the Europe/Berlin time zone (CET)" in how_to_read
    assert "(Asia/Kolkata)" in how_to_read  # where Netcore's own times come from
    annex = section(report, "5. Every event: Email", "6. Glossary")
    for event in report["stored"]:
        if event["occurred_at"]:
            local = event["occurred_at"].astimezone(BERLIN)
            assert f"{local.day} {local:%b %Y %H:%M}" in annex
        assert f"recorded {event['activity_date_raw']}" in annex
    assert "UTC" not in annex
    assert "time not understood" in annex  # the two undated events say so


def test_words_a_subject_understands(report):
    text = report["text"]
    glossary = section(report, "6. Glossary", None)
    for activity in ("sent", "open", "click", "bounce", "dnd", "wobble"):
        assert re.search(rf"\b{activity}\b", glossary), activity
    assert "security scanners" in glossary and "privacy features" in glossary.lower()
    assert "do-not-disturb" in glossary
    assert "An activity Netcore recorded under the name “wobble”" in glossary
    assert "bounce type: soft Temporary" in glossary
    assert "computer (DESKTOP), Unix-like system (UNIX), Google Chrome" in text
    assert "bounce type: soft · reason: mailbox full" in text
    assert "Hostile" not in text and "custom endpoint" not in text  # no internal names
    assert "by email and SMS" in text
    assert "(named above)" not in text
    assert "Data Protection Officer Data Protection Officer" not in text
    assert "Report prepared" in text and "Answered" not in text


def test_the_scope_is_honest(report):
    scope = section(report, "2. What we searched", "3. Summary of your data")
    assert "This report covers the email and SMS activity held in Netcore" in scope
    assert "Shop database orders No data held" in scope
    assert "Support desk tickets Not searched: it keeps tickets for 30 days" in scope
    info = section(report, "1. Confirmation", "2. What we searched")
    assert "held in Netcore's EU data centre" in info and "not transferred outside" in info


def test_text_extracts_as_stored_with_pypdf_and_poppler(report):
    for tool in ("pypdf", "poppler"):
        text = flat("\n".join(report[tool]))
        for name in NAMES:
            assert f"{name} #m-" in text, (tool, name)  # messages layer
            assert f"“{name}”" in text, (tool, name)  # annex
        assert "Dear Ana Example," in text
        assert "link https://shop.example.com/el/προσφορές?id=7" in text, tool
        assert "W e e k l y" not in text


def test_subset_tags_are_unique_across_the_joined_parts(report):
    programs = defaultdict(set)
    for name, program in subset_names(report["path"]):
        programs[name].add(hashlib.sha256(program).hexdigest())
    assert programs and all(len(digests) == 1 for digests in programs.values()), programs
    assert len({name.split("+")[0] for name in programs}) == len(programs)


def test_one_valid_structure_tree_across_the_parts(report):
    assert structure_problems(report["path"]) == []
    types = structure_types(report["path"])
    for kind in ("Document", "H1", "H2", "H3", "P", "L", "LI", "Table", "TH", "TD", "Figure"):
        assert types.get(kind), kind
    alternatives = figure_alternatives(report["path"])
    assert any("Bar chart of your email events per month" in alt for alt in alternatives)
    with pikepdf.open(report["path"]) as pdf:
        assert str(pdf.Root.Lang) == "en"
        assert pdf.Root.MarkInfo.Marked
        assert pdf.Root.ViewerPreferences.DisplayDocTitle
        assert str(pdf.docinfo.Title) == f"Access report {report['reference']}"
        assert len(pdf.Root.StructTreeRoot.K) == 1  # one Document element


def test_the_chart_has_its_numbers_in_a_table(report):
    summary = section(report, "3. Summary of your data", "4. Your messages")
    assert "Email events per month Year Jan Feb Mar" in summary
    assert re.search(r"2026 6 2 – – – – – – – – – – 8", summary) or "2026" in summary


def test_footers_are_on_every_page_and_marked_as_artifacts(report):
    pages = report["pypdf"]
    for number, text in enumerate(pages, start=1):
        assert f"{report['reference']} · page {number} of {len(pages)}" in text
    with pikepdf.open(report["path"]) as pdf:
        last = pdf.pages[-1].obj.Contents[-1].read_bytes()
        assert b"/Artifact" in last and b"/Pagination" in last


def test_attachments_hold_the_stored_events_and_the_pdf_declares_pdfa3b(report):
    reader = PdfReader(report["path"])
    reference = report["reference"]
    attachments = reader.attachments
    assert set(attachments) == {f"{reference}-events.json", f"{reference}-events.csv"}
    data = json.loads(attachments[f"{reference}-events.json"][0])
    assert data["event_count"] == 10 and data["report_time_zone"] == "Europe/Berlin"
    assert sorted(json.dumps(r["raw"], sort_keys=True) for r in data["events"]) == sorted(
        json.dumps(e["raw"], sort_keys=True) for e in report["stored"]
    )
    rows = list(csv.DictReader(io.StringIO(attachments[f"{reference}-events.csv"][0].decode())))
    assert len(rows) == 10
    xmp = reader.xmp_metadata.stream.get_data().decode()
    assert 'pdfaid:part="3"' in xmp and 'pdfaid:conformance="B"' in xmp
    catalog = reader.trailer["/Root"]
    assert len(catalog["/AF"]) == 2 and "/OutputIntents" in catalog
    for spec in catalog["/AF"]:
        assert spec.get_object()["/AFRelationship"] == "/Data"
    with pikepdf.open(report["path"]) as pdf:
        for name, spec in pdf.attachments.items():
            embedded = spec.get_file()
            data = embedded.read_bytes()
            assert embedded.size == len(data) == len(attachments[name][0])
            assert embedded.md5 == hashlib.md5(data, usedforsecurity=False).digest()
