import json as jsonlib
import os
import tempfile
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from cases.case_file.document import render_case_file
from cases.case_file.production import build, case_file_json, record_production
from cases.models import Case
from cases.reports.rendering import RenderError


class Command(BaseCommand):
    help = (
        "Write the case file of one request (for a supervisory authority): receipt, deadline and "
        "extension, identity verification steps, what was searched, each report version with "
        "the organisation-profile text it used, each delivery, the whole audit trail with its "
        "verification result; notes with --notes. A PDF with --output FILE, JSON with --json "
        "(to FILE, or standard output). Recorded in the case's trail with its SHA-256. Exits "
        "non-zero if the trail does not verify (the file is written and says why)."
    )

    def add_arguments(self, parser):
        parser.add_argument("reference", help="Case reference, e.g. DSAR-2026-0042")
        parser.add_argument("--output", type=Path, metavar="FILE", help="Where to write it")
        parser.add_argument("--json", action="store_true", help="JSON instead of a PDF")
        parser.add_argument("--notes", action="store_true", help="Include the internal notes")

    def handle(self, *args, reference: str, output: Path | None, json: bool, notes: bool, **_):
        if output is None and not json:
            raise CommandError("Give --output FILE for the PDF, or --json.")
        case = Case.objects.filter(reference=reference).first()
        if case is None:
            raise CommandError(f"No case {reference}.")
        if output is not None and not output.parent.is_dir():
            raise CommandError(f"{output.parent} is not a folder.")
        if json:
            data = case_file_json(case=case, actor=None, notes=notes, via="command")
            content = jsonlib.loads(data)
            if output is None:
                self.stdout.write(data.decode(), ending="")
            else:
                self._write(output, lambda path: path.write_bytes(data))
                self.stdout.write(f"{reference}: case file written to {output} (JSON)")
        else:
            case_file = build(case, actor=None, notes=notes)
            content = case_file.content
            rendered = self._write(output, lambda path: render_case_file(case_file, path))
            record_production(
                case=case,
                actor=None,
                data=output.read_bytes(),
                file_format="pdf",
                notes=notes,
                via="command",
            )
            self.stdout.write(
                f"{reference}: case file written to {output} "
                f"({rendered.pages} pages, {rendered.size} bytes)"
            )
        verification = content["trail"]["verification"]
        if not verification["ok"]:
            raise CommandError(
                f"The case file was written, but the trail of {reference} does not verify: "
                + "; ".join(verification["problems"])
            )

    @staticmethod
    def _write(output: Path, write):
        """Call write(path) on a file beside `output`, then rename it: a failure leaves no
        half-written file."""
        handle, temporary = tempfile.mkstemp(dir=output.parent, prefix=f".{output.name}.")
        os.close(handle)
        try:
            result = write(Path(temporary))
            os.replace(temporary, output)
        except (OSError, RenderError) as exc:
            raise CommandError(f"{output}: {exc}") from exc
        finally:
            if os.path.exists(temporary):
                os.unlink(temporary)
        return result
