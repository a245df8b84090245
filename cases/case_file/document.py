"""The case file as a PDF: rendered by the report's renderer (WeasyPrint with its fetcher, which
reads our fonts and stylesheets and nothing else: no network, no other file), from our own
template (templates/case_file/case_file.html) and stylesheet (static/report/case_file.css), with
the same data embedded as JSON (a PDF/A-3 associated file) so that a machine can read what a
person reads."""

import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.template.loader import render_to_string

from cases.models import OrganisationProfile
from cases.reports.joining import FileAttachment, join_parts
from cases.reports.rendering import Part, PartRenderer

from .content import CaseFile

# In the report's static folder: the renderer reads our fonts and that folder, nothing else.
STYLESHEETS = ["report/case_file.css"]


@dataclass(frozen=True)
class RenderedCaseFile:
    pages: int
    size: int


def render_case_file(case_file: CaseFile, out_path: Path) -> RenderedCaseFile:
    """Write the case file's PDF to `out_path`."""
    content = case_file.content
    controller = OrganisationProfile.current().controller_name
    html = render_to_string(
        "case_file/case_file.html",
        {"file": content, "controller": controller},
    )
    reference = case_file.reference
    with tempfile.TemporaryDirectory(prefix="case-file-") as tmp:
        json_path = Path(tmp) / f"{reference}-case-file.json"
        json_path.write_text(case_file.as_json(), encoding="utf-8")
        # One document (a trail of thousands of entries renders in seconds): no pool to start.
        with PartRenderer(stylesheets=STYLESHEETS, processes=1) as renderer:
            part = renderer.submit(Part(html, pdfa=True)).result()
            pages = join_parts(
                [part],
                footer_label=f"{reference} case file",
                out_path=str(out_path),
                title=f"Case file {reference}",
                author=controller,
                moment=content["case_file"]["produced_at"],
                attachments=[
                    FileAttachment(
                        str(json_path),
                        json_path.name,
                        "The case file as JSON",
                        "application/json",
                    )
                ],
            )
    return RenderedCaseFile(pages=pages, size=out_path.stat().st_size)
