"""Turning report HTML into PDF parts with WeasyPrint, safely and within bounded time and memory.

Safety: every document is rendered with `StaticOnlyFetcher`, which hands WeasyPrint our own
stylesheets and the fonts static/fonts/fonts.css names (read from the named font folders,
dsar_portal/fonts.py) and refuses anything else (network, other files, other fonts, data: URLs).
The HTML itself escapes everything that came from Netcore; the fetcher is the second line of
defence.

Speed and memory: WeasyPrint keeps a whole document's layout in memory and slows down on huge
tables, so the message layer and the event annex are rendered as plain paragraphs in parts of
about a thousand events, each its own small tagged document, in worker processes. `joining`
makes one PDF (and one structure tree) of the parts, after the workers have stopped.
"""

import logging
import multiprocessing
import tempfile
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pikepdf
from django.conf import settings
from django.contrib.staticfiles import finders
from pikepdf import Array, Dictionary, Name

from dsar_portal import fonts

logger = logging.getLogger(__name__)

# Our static folders the renderer may read: fonts and the report stylesheet, nothing else; and
# the named font folders (settings.FONT_DIRS), from which only the fonts of fonts.css are read.
ALLOWED_STATIC_DIRS = ("fonts", "report")
CONTENT_TYPES = {
    ".ttf": "font/ttf",
    ".ttc": "font/collection",
    ".otf": "font/otf",
    ".css": "text/css",
}


class RenderError(Exception):
    """The PDF could not be made; the cause is in the message."""


def static_dirs() -> list[Path]:
    """The real paths of the static folders the renderer may read."""
    dirs = []
    for name in ALLOWED_STATIC_DIRS:
        found = finders.find(name, find_all=True)
        dirs.extend(Path(path).resolve() for path in found)
    return dirs


def static_root() -> Path:
    """Where our static files are in the renderer's URL space (file:// URLs below it)."""
    return (Path(settings.BASE_DIR) / "static").resolve()


def static_url(relative: str) -> str:
    """A file:// URL of one of our static files (e.g. "report/report.css")."""
    path = finders.find(relative)
    if not path:
        raise RenderError(f"Static file {relative} is missing.")
    return Path(path).resolve().as_uri()


def font_aliases() -> dict[str, str]:
    """The fonts of fonts.css: their path in the renderer's URL space (beside fonts.css) and
    the real file in a font folder. Raises RenderError when one is missing."""
    try:
        fonts.check_fonts()
    except fonts.FontMissing as exc:
        raise RenderError(str(exc)) from exc
    virtual = static_root() / fonts.URL_PREFIX
    return {str(virtual / name): str(fonts.font_path(name)) for name in fonts.font_names()}


def _make_fetcher(allowed: list[Path], aliases: dict[str, str] | None = None):
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    aliases = aliases or {}
    font_files = {Path(real) for real in aliases.values()}

    class StaticOnlyFetcher(URLFetcher):
        """Serves our stylesheets and fonts from disk; refuses every other URL."""

        def __init__(self):
            super().__init__(allowed_protocols={"file"}, allow_redirects=False)
            self.refused: list[str] = []

        def _allowed_path(self, url: str) -> Path | None:
            parts = urlsplit(url)
            if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
                return None
            path = Path(unquote(parts.path)).resolve()
            path = Path(aliases.get(str(path), path))
            if path.suffix not in CONTENT_TYPES:
                return None
            if path in font_files or any(path.is_relative_to(d) for d in allowed):
                return path
            return None

        def fetch(self, url, headers=None):
            path = self._allowed_path(url)
            if path is not None and path.is_file():
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
    pdfa: bool = False


@dataclass
class RenderedPart:
    path: str
    pages: int
    refused: list[str] = field(default_factory=list)


class _Renderer:
    """WeasyPrint with our fetcher, fonts and stylesheets, loaded once and used for many parts.

    Not shared between threads: a PartRenderer rendering in its own thread has its own, and each
    process of a pool has one, used by one part at a time.
    """

    def __init__(
        self, allowed: list[str], aliases: dict[str, str], stylesheet_urls: list[str]
    ) -> None:
        logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)  # a line per page
        from weasyprint import CSS
        from weasyprint.text.fonts import FontConfiguration

        self.fetcher = _make_fetcher([Path(p) for p in allowed], aliases)
        self.font_config = FontConfiguration()
        self.stylesheets = [
            CSS(url=url, url_fetcher=self.fetcher, font_config=self.font_config)
            for url in stylesheet_urls
        ]

    def render(self, part: Part, out_path: str, base_url: str) -> RenderedPart:
        from weasyprint import HTML

        self.fetcher.refused = []
        document = HTML(string=part.html, base_url=base_url, url_fetcher=self.fetcher).render(
            stylesheets=self.stylesheets, font_config=self.font_config
        )
        # Tagged (a structure tree for screen readers), joined into one tree later. PDF/A-3b: the
        # base of the report declares it; attachments are added when joining.
        document.write_pdf(out_path, pdf_variant="pdf/a-3b" if part.pdfa else None, pdf_tags=True)
        pages = len(document.pages)
        del document
        flatten_spans(out_path)
        return RenderedPart(out_path, pages, list(self.fetcher.refused))


SPAN_KEYS = frozenset({"/Type", "/S", "/K", "/Pg", "/P"})


def flatten_spans(path: str) -> None:
    """Fold each plain Span of the part's structure tree into its parent: the Span's marked
    contents become the parent's own (same page), and the parent tree points at the parent.

    WeasyPrint makes a Span element for every piece of text, i.e. one or more per event; the
    tree says the same without them, and the joined document then holds half the objects, which
    is what bounds the join's memory on large reports.
    """
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        root = pdf.Root.get(Name.StructTreeRoot)
        if root is None:
            return
        nums = root.ParentTree.Nums
        by_key = {int(nums[i]): nums[i + 1] for i in range(0, len(nums), 2)}
        per_page = {
            page.obj.objgen: by_key.get(int(page.obj.StructParents))
            for page in pdf.pages
            if Name.StructParents in page.obj
        }
        stack = [kid for kid in root.K if isinstance(kid, Dictionary)]
        while stack:
            element = stack.pop()
            kids = element.get(Name.K)
            if not isinstance(kids, Array):
                continue
            page = element.get(Name.Pg)
            folded, changed = [], False
            for kid in kids:
                if not isinstance(kid, Dictionary):
                    folded.append(kid)
                    continue
                entries = per_page.get(kid.Pg.objgen) if Name.Pg in kid else None
                mcids = kid.get(Name.K)
                if (
                    kid.get(Name.S) == Name.Span
                    and set(kid.keys()) <= SPAN_KEYS
                    and page is not None
                    and kid.Pg.objgen == page.objgen
                    and entries is not None
                    and isinstance(mcids, Array)
                    and all(isinstance(m, int) for m in mcids)
                ):
                    for mcid in mcids:
                        entries[int(mcid)] = element
                        folded.append(int(mcid))
                    changed = True
                else:
                    folded.append(kid)
                    stack.append(kid)
            if changed:
                element.K = Array(folded)
        pdf.save(path)


# The renderer of a pool process, made by the pool's initializer (fonts load once per process).
_process_renderer: _Renderer | None = None


def _start_pool_process(
    allowed: list[str], aliases: dict[str, str], stylesheet_urls: list[str]
) -> None:
    global _process_renderer
    _process_renderer = _Renderer(allowed, aliases, stylesheet_urls)


def _render_in_pool_process(part: Part, out_path: str, base_url: str) -> RenderedPart:
    return _process_renderer.render(part, out_path, base_url)


class PartRenderer:
    """Renders parts in worker processes (or in this process when there is one worker).

    Use as a context manager; `submit` returns a Future of a RenderedPart whose PDF is written
    under the renderer's temporary folder.
    """

    def __init__(self, *, stylesheets: list[str], processes: int | None = None):
        self.stylesheet_urls = [static_url(s) for s in stylesheets]
        self.allowed = [str(d) for d in static_dirs()]
        self.aliases = font_aliases()
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
                initializer=_start_pool_process,
                initargs=(self.allowed, self.aliases, self.stylesheet_urls),
            )
            self._renderer = None
        else:
            self._pool = None
            self._renderer = _Renderer(self.allowed, self.aliases, self.stylesheet_urls)
        return self

    def finish(self) -> None:
        """Stop the worker processes (their memory is freed); the rendered parts stay until the
        context ends, e.g. to be joined without the workers' memory beside the join's."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        self._renderer = None

    def __exit__(self, *exc) -> None:
        self.finish()
        self._tmp.cleanup()

    def submit(self, part: Part) -> Future:
        self._count += 1
        out_path = str(self.tmpdir / f"part-{self._count:05d}.pdf")
        if self._pool is None:
            future: Future = Future()
            try:
                future.set_result(self._renderer.render(part, out_path, self.base_url))
            except Exception as exc:
                future.set_exception(exc)
            return future
        return self._pool.submit(_render_in_pool_process, part, out_path, self.base_url)
