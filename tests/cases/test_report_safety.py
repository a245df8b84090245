"""The renderer fetches nothing, escapes everything from Netcore, and reads only the fonts that
static/fonts/fonts.css names (every script: test_report_every_script.py)."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from pypdf import PdfReader

from cases.reports.document import render_report
from cases.reports.rendering import _make_fetcher, font_aliases, static_dirs, static_root
from dsar_portal import fonts
from tests.factories import make_collected_case, make_events

pytestmark = pytest.mark.django_db

HOSTILE = "<script>alert(1)</script><b>x</b>"


@pytest.fixture(autouse=True)
def one_process(settings):
    settings.REPORT_RENDER_PROCESSES = 1


@pytest.fixture
def listener():
    """An HTTP server on 127.0.0.1 that counts every request it gets."""
    requests: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            requests.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", requests
    server.shutdown()
    server.server_close()


def text_of(path) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(path).pages)


def test_hostile_names_are_shown_as_characters(tmp_path):
    case = make_collected_case(events=0, subject_name=HOSTILE)
    make_events(
        case.windows.get(),
        specs=[{"message_name": HOSTILE, "activity": HOSTILE, "extra": {HOSTILE: HOSTILE}}],
    )

    render_report(case, tmp_path / "r.pdf", version=1)

    text = text_of(tmp_path / "r.pdf")
    assert f"Dear {HOSTILE}," in text
    assert f"“{HOSTILE}”" in text  # the annex
    assert f"{HOSTILE} #m-1" in text  # the message layer
    assert f"other: {HOSTILE}: {HOSTILE}" in text
    raw = (tmp_path / "r.pdf").read_bytes()
    assert b"/JavaScript" not in raw and b"/JS " not in raw


def test_links_and_images_in_netcore_data_are_never_fetched_or_linked(tmp_path, listener):
    base, requests = listener
    case = make_collected_case(events=0)
    make_events(
        case.windows.get(),
        specs=[
            {
                "activity": "click",
                "link": f"{base}/followed-link",
                "message_name": f'<img src="{base}/tracking.png"> Offer',
                "extra": {
                    "html": f'<link rel="stylesheet" href="{base}/style.css">',
                    "css": f"<style>@import url({base}/import.css);</style>",
                    "svg": f'<svg><image href="{base}/svg.png"/></svg>',
                },
            }
        ],
    )

    result = render_report(case, tmp_path / "r.pdf", version=1)

    assert requests == []
    assert result.refused_urls == []  # nothing even tried: it was all text
    text = text_of(tmp_path / "r.pdf")
    assert f"link {base}/followed-link" in text
    assert f'“<img src="{base}/tracking.png"> Offer”' in text
    for page in PdfReader(tmp_path / "r.pdf").pages:
        for annotation in page.get("/Annots") or []:
            assert "/URI" not in str(annotation.get_object().get("/A", {}))


def test_the_fetcher_serves_our_fonts_and_refuses_everything_else(listener, tmp_path):
    base, requests = listener
    fetcher = _make_fetcher(static_dirs(), font_aliases())
    font = fonts.font_path("NotoSans-Regular.ttf")
    served_as = static_root() / "fonts" / "noto" / "NotoSans-Regular.ttf"  # as fonts.css names it

    for url in (served_as.as_uri(), font.as_uri()):
        assert fetcher.fetch(url).read(4) == font.read_bytes()[:4]

    secret = tmp_path / "secret.css"
    secret.write_text("body { color: red }")
    refused = [
        f"{base}/x.css",
        "https://example.com/x.css",
        "file:///etc/passwd",
        secret.as_uri(),
        (served_as.parent / ".." / ".." / ".." / "manage.py").as_uri(),
        # In a font folder, but not one of the fonts fonts.css names.
        (font.parent / "NotoSerif-Regular.ttf").as_uri(),
        (static_root() / "fonts" / "noto" / "NotoSerif-Regular.ttf").as_uri(),
        "file:///usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
        "data:text/css,body{}",
        "ftp://127.0.0.1/x",
    ]
    for url in refused:
        with pytest.raises(ValueError, match="fetches only its own"):
            fetcher.fetch(url)
    assert requests == []
    assert len(fetcher.refused) == len(refused)


def test_greek_and_cyrillic_names_come_back_from_the_text_layer(tmp_path):
    names = ["Ελένη Παπαδοπούλου", "Алексей Иванов", "Łukasz Żółć", "Zoë Ångström"]
    case = make_collected_case(events=0, subject_name=names[0])
    make_events(case.windows.get(), specs=[{"message_name": name} for name in names])

    render_report(case, tmp_path / "r.pdf", version=1)

    text = text_of(tmp_path / "r.pdf")
    assert f"Dear {names[0]}," in text
    for name in names:
        assert f"“{name}”" in text
