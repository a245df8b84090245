"""Hostile text in every Netcore field and every form field comes back as characters: in the
portal's pages, in the admin and in the PDF. Nothing is ever executed, linked or fetched."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from cases import services
from cases.harvest import planning
from cases.harvest.dispatch import queue_here
from cases.harvest.window import harvest_window
from cases.reports.document import render_report
from netcore.sandbox import Sandbox
from tests.factories import make_case, make_collected_case, make_events
from tests.harvest_fixtures import SANDBOX_KEY, d, sandbox_account
from tests.security.test_headers_and_csp import inline_code

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert(1)</script>"
PAYLOADS = [
    SCRIPT,
    '"><img src=x onerror=alert(2)>',
    "'><svg onload=alert(3)>",
    "</textarea></title><iframe src=javascript:alert(4)>",
    "javascript:alert(5)",
    "{{ 7|add:7 }}{% now 'Y' %}",
]
ESCAPED_SCRIPT = "&lt;script&gt;alert(1)&lt;/script&gt;"


def hostile(n: int) -> str:
    """Every payload at once, tagged with a number so each field can be found again."""
    return f"f{n}:" + "".join(PAYLOADS)


def assert_inert(html: str, where: str) -> None:
    assert SCRIPT not in html, where
    assert "<img src=x" not in html and "<svg onload" not in html, where
    assert "<iframe" not in html, where
    assert "{{ 7" in html or "7|add:7" not in html, where  # never evaluated as a template
    assert "14" + "2026" not in html, where
    found = [item for item in inline_code(html) if item != "<style> element"]
    assert found == [], (where, found)


EVENT_FIELDS = ("activity", "message_id", "message_name", "ip", "device", "os", "browser", "link")


def hostile_case(officer):
    """A case whose subject, notes, reasons and every event field carry hostile text."""
    case = make_collected_case(
        actor=officer,
        events=0,
        subject_name=hostile(1),
        primary_keys=[hostile(2)[:250]],
        assigned_officer=officer,
    )
    spec = {name: hostile(10 + i) for i, name in enumerate(EVENT_FIELDS)}
    spec["extra"] = {hostile(30): hostile(31), "nested": {"k": hostile(32)}}
    make_events(case.windows.get(), specs=[spec])
    services.case_verify_identity(case=case, actor=officer, method="other", notes=hostile(3))
    services.case_add_note(case=case, actor=officer, text=hostile(4))
    services.case_extend_deadline(
        case=case, actor=officer, reason=hostile(5), subject_told_on=timezone.localdate()
    )
    services.case_change_status(case=case, actor=officer, status="withdrawn", reason=hostile(6))
    return case


def test_every_field_is_text_on_the_portal_pages(officer_client, officer):
    case = hostile_case(officer)
    sections = [
        reverse(f"cases:{name}", args=[case.reference])
        for name in ("detail", "data", "report", "trail", "notes")
    ] + [reverse("cases:trail", args=[case.reference]) + "?views=shown"]
    for url in (
        *sections,
        reverse("cases:list"),
        reverse("cases:list") + "?q=" + "%3Cscript%3E",
        "/",
        reverse("cases:edit", args=[case.reference]),
    ):
        response = officer_client.get(url)
        assert response.status_code == 200, url
        assert_inert(response.content.decode(), url)
    page = "".join(officer_client.get(url).content.decode() for url in sections)
    for n in (1, 3, 4, 5, 6, *range(10, 18)):
        assert f"f{n}:{ESCAPED_SCRIPT}" in page, n  # each field is on the page, escaped
    progress = officer_client.get(reverse("cases:progress", args=[case.reference]))
    assert progress["Content-Type"] == "application/json"


def test_every_field_is_text_in_the_admin(admin_client, officer):
    case = hostile_case(officer)
    event = case.events.get()
    urls = [
        "/admin/cases/case/",
        f"/admin/cases/case/{case.pk}/change/",
        "/admin/cases/activityevent/",
        f"/admin/cases/activityevent/{event.pk}/change/",
        "/admin/cases/auditentry/",
        f"/admin/cases/auditentry/{case.audit_entries.last().pk}/change/",
        "/admin/cases/casenote/",
        f"/admin/cases/casenote/{case.notes.get().pk}/change/",
        "/admin/cases/casenote/?q=%3Cscript%3E",
    ]
    for url in urls:
        response = admin_client.get(url)
        assert response.status_code == 200, url
        assert_inert(response.content.decode(), url)
    change = admin_client.get(f"/admin/cases/activityevent/{event.pk}/change/").content.decode()
    for n in range(10, 18):
        assert f"f{n}:" in change, n


def test_hostile_sign_in_names_are_text_in_the_admin_log(admin_client):
    Client().post("/accounts/login/", {"username": hostile(40)[:150], "password": "x"})
    response = admin_client.get("/admin/accounts/signinevent/")
    assert "f40:" in response.content.decode()
    assert_inert(response.content.decode(), "sign-in log")


def test_collected_through_the_sandbox_and_shown_as_text(officer_client, officer):
    with Sandbox(
        api_key=SANDBOX_KEY,
        seed=3,
        events_per_day=3,
        message_names=[hostile(50)],
        links=[hostile(51)],
    ) as sandbox:
        sandbox_account(sandbox)
        case = make_case(
            actor=officer,
            channels=["email"],
            search_from=d("2025-03-01"),
            search_to=d("2025-03-03"),
        )
        planning.harvest_start(case=case, actor=officer, enqueue=False)
        for window_id in queue_here(case.pk):
            harvest_window(window_id, dispatch=False)
    assert case.events.filter(message_name=hostile(50)).exists()
    data = reverse("cases:data", args=[case.reference])
    page = officer_client.get(data, {"channel": "email"}).content.decode()
    assert f"f50:{ESCAPED_SCRIPT}" in page
    assert_inert(page, "sandbox case")


@pytest.fixture
def listener():
    """An HTTP server on 127.0.0.1 that counts every request it gets."""
    hits: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            hits.append(self.path)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", hits
    server.shutdown()
    server.server_close()


def test_every_field_is_text_in_the_pdf_and_nothing_is_fetched(
    officer, tmp_path, settings, listener
):
    settings.REPORT_RENDER_PROCESSES = 1
    base, hits = listener
    bait = (
        f'<img src="{base}/img"><link rel=stylesheet href="{base}/css">'
        f"<style>@import url({base}/import);</style><iframe src={base}/frame></iframe>"
    )
    case = make_collected_case(actor=officer, events=0, subject_name=hostile(1))
    spec = {name: hostile(10 + i) + bait for i, name in enumerate(EVENT_FIELDS)}
    spec["link"] = f"{base}/followed?{hostile(17)}"
    spec["extra"] = {"unknown_field": hostile(30) + bait, "nested": {"k": hostile(31)}}
    make_events(case.windows.get(), specs=[spec])

    result = render_report(case, tmp_path / "r.pdf", version=1)

    assert hits == [] and result.refused_urls == []
    reader = PdfReader(tmp_path / "r.pdf")
    text = "\n".join(page.extract_text() for page in reader.pages)
    flat = "".join(text.split())  # long values wrap across lines, anywhere in a word
    for n in (1, *range(10, 18), 30, 31):
        assert f"f{n}:{SCRIPT}".replace(" ", "") in flat, n
    raw = (tmp_path / "r.pdf").read_bytes()
    assert b"/JavaScript" not in raw and b"/JS " not in raw and b"/Launch" not in raw
    for page in reader.pages:
        for annotation in page.get("/Annots") or []:
            assert "/URI" not in str(annotation.get_object().get("/A", {}))
