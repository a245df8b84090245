"""Turning report HTML into PDF parts with WeasyPrint, safely and within bounded time and memory.

Safety: every document is rendered with `StaticOnlyFetcher`, which hands WeasyPrint our own fonts
and stylesheets and refuses anything else (network, other files, data: URLs). The HTML itself
escapes everything that came from Netcore; the fetcher is the second line of defence.

Speed and memory: WeasyPrint keeps a whole document's layout in memory and slows down on huge
tables, so the event listing is rendered as plain blocks in parts of a few thousand events, each
its own small document, in worker processes. `joining` makes one PDF of the parts.
"""

import logging
import multiprocessing
import tempfile
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders

logger = logging.getLogger(__name__)

# Our static folders the renderer may read: fonts and the report stylesheet, nothing else.
ALLOWED_STATIC_DIRS = ("fonts", "report")
CONTENT_TYPES = {".ttf": "font/ttf", ".otf": "font/otf", ".css": "text/css"}


class RenderError(Exception):
    """The PDF could not be made; the cause is in the message."""


def static_dirs() -> list[Path]:
    """The real paths of the static folders the renderer may read."""
    dirs = []
    for name in ALLOWED_STATIC_DIRS:
        found = finders.find(name, find_all=True)
        dirs.extend(Path(path).resolve() for path in found)
    return dirs


def static_url(relative: str) -> str:
    """A file:// URL of one of our static files (e.g. "fonts/NotoSans-Regular.ttf")."""
    path = finders.find(relative)
    if not path:
        raise RenderError(f"Static file {relative} is missing.")
    return Path(path).resolve().as_uri()


def _make_fetcher(allowed: list[Path]):
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class StaticOnlyFetcher(URLFetcher):
        """Serves our fonts and stylesheets from disk; refuses every other URL."""

        def __init__(self):
            super().__init__(allowed_protocols={"file"}, allow_redirects=False)
            self.refused: list[str] = []

        def fetch(self, url, headers=None):
            parts = urlsplit(url)
            if parts.scheme == "file" and parts.netloc in ("", "localhost"):
                path = Path(unquote(parts.path)).resolve()
                if path.suffix in CONTENT_TYPES and any(path.is_relative_to(d) for d in allowed):
                    return URLFetcherResponse(
                        path.as_uri(),
                        path.read_bytes(),
                        headers={"Content-Type": CONTENT_TYPES[path.suffix]},
                    )
            self.refused.append(url[:200])
            logger.warning("Report renderer refused to fetch %s", url[:200])
            raise ValueError("The report renderer fetches only its own fonts and stylesheets.")

    return StaticOnlyFetcher()


@dataclass
class Part:
    """One document of the report: its HTML, bookmarks, and whether it is the PDF/A base."""

    html: str
    # Outline entries (title, page index within this part) added after joining.
    bookmarks: list[tuple[str, int]] = field(default_factory=list)
    pdfa: bool = False


@dataclass
class RenderedPart:
    path: str
    pages: int
    bookmarks: list[tuple[str, int]]
    refused: list[str]


# Set in each worker process by _init_worker: fonts are loaded once per process, not per part.
_worker_state: dict = {}


def _init_worker(allowed: list[str], stylesheet_urls: list[str]) -> None:
    logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)  # a line per page
    from weasyprint import CSS
    from weasyprint.text.fonts import FontConfiguration

    fetcher = _make_fetcher([Path(p) for p in allowed])
    font_config = FontConfiguration()
    _worker_state.update(
        fetcher=fetcher,
        font_config=font_config,
        stylesheets=[
            CSS(url=url, url_fetcher=fetcher, font_config=font_config) for url in stylesheet_urls
        ],
    )


def _render_part(part: Part, out_path: str, base_url: str) -> RenderedPart:
    from weasyprint import HTML

    fetcher = _worker_state["fetcher"]
    fetcher.refused = []
    document = HTML(string=part.html, base_url=base_url, url_fetcher=fetcher).render(
        stylesheets=_worker_state["stylesheets"], font_config=_worker_state["font_config"]
    )
    # PDF/A-3b: the base of the report declares it; attachments are added when parts are joined.
    document.write_pdf(out_path, pdf_variant="pdf/a-3b" if part.pdfa else None)
    pages = len(document.pages)
    del document
    return RenderedPart(out_path, pages, part.bookmarks, list(fetcher.refused))


class PartRenderer:
    """Renders parts in worker processes (or in this process when there is one worker).

    Use as a context manager; `submit` returns a Future of a RenderedPart whose PDF is written
    under the renderer's temporary folder.
    """

    def __init__(self, *, stylesheets: list[str], processes: int | None = None):
        self.stylesheet_urls = [static_url(s) for s in stylesheets]
        self.allowed = [str(d) for d in static_dirs()]
        self.base_url = (Path(settings.BASE_DIR) / "static" / "report").resolve().as_uri() + "/"
        wanted = processes or getattr(settings, "REPORT_RENDER_PROCESSES", 2)
        # A daemonic process (e.g. a Celery prefork child) may not start processes of its own.
        if multiprocessing.current_process().daemon:
            wanted = 1
        self.processes = max(1, wanted)
        self._count = 0

    def __enter__(self) -> "PartRenderer":
        self._tmp = tempfile.TemporaryDirectory(prefix="report-")
        self.tmpdir = Path(self._tmp.name)
        if self.processes > 1:
            self._pool = ProcessPoolExecutor(
                max_workers=self.processes,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_init_worker,
                initargs=(self.allowed, self.stylesheet_urls),
            )
        else:
            self._pool = None
            _init_worker(self.allowed, self.stylesheet_urls)
        return self

    def __exit__(self, *exc) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
        else:
            _worker_state.clear()
        self._tmp.cleanup()

    def submit(self, part: Part) -> Future:
        self._count += 1
        out_path = str(self.tmpdir / f"part-{self._count:05d}.pdf")
        if self._pool is None:
            future: Future = Future()
            try:
                future.set_result(_render_part(part, out_path, self.base_url))
            except Exception as exc:
                future.set_exception(exc)
            return future
        return self._pool.submit(_render_part, part, out_path, self.base_url)
