"""Joining the rendered parts of a report into one PDF (pikepdf, qpdf's public API).

What the joined document keeps, whatever the number of parts:
- pages in the parts' order, each part's bookmarks on its own pages (one outline);
- one structure tree: every part's Document children under the first part's Document element,
  with the parent tree renumbered (each page's /StructParents moves by the keys used before it),
  so reading order is the parts' order and every marked content still finds its element;
- distinct font subset tags: WeasyPrint names a subset after its font alone, so parts subsetting
  one font differently would share a tag (PDF 32000-1 §9.6.4 forbids it, and text extraction
  then mixes up their character maps); each subset is renamed after a hash of its program;
- a footer "label · page X of Y" on every page, marked as a pagination artifact (not content);
- the exports embedded as PDF/A-3 associated files (/AF, /AFRelationship /Data);
- the first part's catalog: language, PDF/A identification and output intent.
"""

import hashlib
import logging
import zlib
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime
from io import BytesIO

import pikepdf
from django.utils.translation import gettext as _
from fontTools import subset
from fontTools.ttLib import TTFont
from pikepdf import Array, Dictionary, Name, Pdf
from pikepdf.models.metadata import encode_pdf_date

from dsar_portal import fonts

from .rendering import RenderedPart, RenderError

logger = logging.getLogger(__name__)


@dataclass
class FileAttachment:
    """A file embedded in the report (PDF/A-3: an associated file of the document)."""

    path: str
    name: str
    description: str
    mime_type: str


def join_parts(
    parts: list[RenderedPart],
    *,
    footer_label: str,
    out_path: str,
    title: str,
    author: str,
    moment: datetime,
    attachments: list[FileAttachment] = (),
) -> int:
    """Join the rendered parts into `out_path` and return the number of pages.

    The first part is the base: its catalog (language, PDF/A identification, output intent)
    is the document's. `moment` dates the embedded files and the metadata.
    """
    with ExitStack() as stack:
        pdf = stack.enter_context(Pdf.open(parts[0].path))
        tree = _StructureTree(pdf)
        for part in parts[1:]:
            # qpdf copies a part's streams when the result is written: keep it open till then.
            source = stack.enter_context(Pdf.open(part.path))
            first_page = len(pdf.pages)
            pdf.add_pages_from(source, outlines="preserve")
            tree.add(source, pdf.pages[first_page:])
        _give_subsets_unique_tags(pdf)
        _stamp_footers(pdf, footer_label)
        for attachment in attachments:
            _embed_file(pdf, attachment, moment)
        with pdf.open_metadata() as meta:
            meta["dc:title"] = title
            meta["dc:creator"] = [author]
            meta["xmp:ModifyDate"] = moment.isoformat()
        pdf.docinfo[Name.Title] = title
        pdf.docinfo[Name.Author] = author
        pdf.save(
            out_path, compress_streams=True, object_stream_mode=pikepdf.ObjectStreamMode.generate
        )
        return len(pdf.pages)


class _StructureTree:
    """The base part's structure tree, grown by each further part's (see the module docstring)."""

    def __init__(self, pdf: Pdf) -> None:
        root = pdf.Root.get(Name.StructTreeRoot)
        if root is None:
            raise RenderError("The report's first part is not tagged.")
        self.pdf = pdf
        self.document = root.K[0]
        self.nums = root.ParentTree.Nums
        self.next_key = _next_key(self.nums)

    def add(self, source: Pdf, pages: list[pikepdf.Page]) -> None:
        root = source.Root.get(Name.StructTreeRoot)
        if root is None:
            raise RenderError("A part of the report is not tagged.")
        document = root.K[0]
        # Copy the part's Document element without its parent (the part's own tree root), then
        # hang its children under ours; the copies reach pages already copied, not new ones.
        del document[Name.P]
        copied = self.pdf.copy_foreign(document)
        for kid in copied.K:
            if isinstance(kid, Dictionary):
                kid.P = self.document
            self.document.K.append(kid)
        offset = self.next_key
        source_nums = self.pdf.copy_foreign(root.ParentTree).Nums
        for index in range(0, len(source_nums), 2):
            self.nums.append(int(source_nums[index]) + offset)
            self.nums.append(source_nums[index + 1])
        for page in pages:
            if Name.StructParents in page.obj:
                page.obj.StructParents = int(page.obj.StructParents) + offset
            for annotation in page.obj.get(Name.Annots) or []:
                if Name.StructParent in annotation:
                    annotation.StructParent = int(annotation.StructParent) + offset
        self.next_key = offset + _next_key(source_nums)


def _next_key(nums: Array) -> int:
    keys = [int(nums[i]) for i in range(0, len(nums), 2)]
    return max(keys, default=-1) + 1


def _font_dictionaries(pdf: Pdf):
    """Each font dictionary used by a page, once."""
    seen = set()
    for page in pdf.pages:
        resources = page.obj.get(Name.Resources)
        font_map = resources.get(Name.Font) if resources is not None else None
        for font in (font_map or {}).values():
            if font.objgen in seen and font.is_indirect:
                continue
            seen.add(font.objgen)
            yield font


def _give_subsets_unique_tags(pdf: Pdf) -> None:
    """Rename every subset (ABCDEF+Name) after a hash of its font program and character map."""
    for font in _font_dictionaries(pdf):
        base_font = str(font.get(Name.BaseFont, ""))
        if "+" not in base_font:
            continue
        descendant = font.DescendantFonts[0] if Name.DescendantFonts in font else font
        descriptor = descendant.get(Name.FontDescriptor)
        if descriptor is None:
            continue
        program = next(
            (
                descriptor[key]
                for key in (Name.FontFile2, Name.FontFile3, Name.FontFile)
                if key in descriptor
            ),
            None,
        )
        digest = hashlib.sha256(program.read_raw_bytes() if program is not None else b"")
        if Name.ToUnicode in font:
            digest.update(font.ToUnicode.read_raw_bytes())
        tag = "".join(chr(65 + byte % 26) for byte in digest.digest()[:6])
        name = Name("/" + tag + "+" + base_font.split("+", 1)[1])
        font.BaseFont = name
        if descendant is not font:
            descendant.BaseFont = name
        descriptor.FontName = name


FOOTER_FONT = "NotoSans-Regular.ttf"
FOOTER_FONT_NAME = Name("/ReportFooterFont")
FOOTER_SIZE = 7.5
FOOTER_GREY = 0.33
MM = 72 / 25.4


def _stamp_footers(pdf: Pdf, label: str) -> None:
    """Draw "label · page X of Y" (in the current language) at the foot of every page, as a
    pagination artifact.

    A few text operators appended to each page (no layout engine, no parsing of the page) in a
    small embedded font of our own (Noto Sans, WinAnsi): its cost per page is a string format.
    """
    font, widths = _footer_font(pdf)
    total = len(pdf.pages)
    safe_label = label.encode("cp1252", "replace").decode("cp1252")
    # The page's own drawing is wrapped in q … Q so that it cannot move the footer.
    save_state = pikepdf.Stream(pdf, b"q\n")
    for number, page in enumerate(pdf.pages, start=1):
        # Translators: WinAnsi (cp1252) characters only: the footer font has no others.
        text = _("%(label)s · page %(number)s of %(total)s") % {
            "label": safe_label,
            "number": number,
            "total": total,
        }
        encoded = text.encode("cp1252", "replace")
        width = sum(widths.get(byte, 500) for byte in encoded) * FOOTER_SIZE / 1000
        box = page.mediabox
        left, bottom, right_edge, top = (float(v) for v in box)
        page_width, page_height = right_edge - left, top - bottom
        margin = (14 if page_width > page_height else 18) * MM
        x = right_edge - margin - width
        y = bottom + 9 * MM
        literal = encoded.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")
        page.add_resource(font, Name.Font, FOOTER_FONT_NAME)
        page.contents_add(save_state, prepend=True)
        page.contents_add(
            pikepdf.Stream(
                pdf,
                b"\nQ\n/Artifact <</Type /Pagination /Subtype /Footer>> BDC\n"
                b"q BT %s %.2f Tf %.2f g %.2f %.2f Td (%s) Tj ET Q\nEMC\n"
                % (str(FOOTER_FONT_NAME).encode(), FOOTER_SIZE, FOOTER_GREY, x, y, literal),
            )
        )


def _footer_font(pdf: Pdf) -> tuple[Dictionary, dict[int, int]]:
    """Embed a subset of the footer font once; return it and its widths per code."""
    logging.getLogger("fontTools").setLevel(logging.WARNING)  # it logs every table it prunes
    path = fonts.font_path(FOOTER_FONT)
    if path is None:
        raise RenderError(f"Font {FOOTER_FONT} is missing; {fonts.INSTALL_HINT}.")
    font = TTFont(path)
    scale = 1000 / font["head"].unitsPerEm
    cmap = font.getBestCmap()
    first, last = 32, 255
    widths = {}
    for code in range(first, last + 1):
        glyph = cmap.get(ord(bytes([code]).decode("cp1252", "replace")))
        if glyph:
            widths[code] = round(font["hmtx"][glyph][0] * scale)
    head, hhea = font["head"], font["hhea"]
    options = subset.Options()
    options.layout_features = []
    options.name_IDs = ["*"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=[ord(bytes([c]).decode("cp1252", "replace")) for c in widths])
    subsetter.subset(font)
    data = BytesIO()
    font.save(data)
    program = pikepdf.Stream(pdf, data.getvalue())
    program.Length1 = len(data.getvalue())
    base_font = Name("/RPTFTR+NotoSans-Regular")
    descriptor = pdf.make_indirect(
        Dictionary(
            Type=Name.FontDescriptor,
            FontName=base_font,
            FontFile2=program,
            Flags=32,
            FontBBox=Array(
                [round(v * scale) for v in (head.xMin, head.yMin, head.xMax, head.yMax)]
            ),
            ItalicAngle=0,
            Ascent=round(hhea.ascent * scale),
            Descent=round(hhea.descent * scale),
            CapHeight=round(font["OS/2"].sCapHeight * scale),
            StemV=80,
        )
    )
    font_dict = pdf.make_indirect(
        Dictionary(
            Type=Name.Font,
            Subtype=Name.TrueType,
            BaseFont=base_font,
            FirstChar=first,
            LastChar=last,
            Widths=Array([widths.get(code, 0) for code in range(first, last + 1)]),
            Encoding=Name.WinAnsiEncoding,
            FontDescriptor=descriptor,
        )
    )
    return font_dict, widths


def _embed_file(pdf: Pdf, attachment: FileAttachment, moment: datetime) -> None:
    """Embed a file as PDF/A-3 requires: its MIME type, dates, size and checksum, named in the
    document's embedded files and listed as associated data of the document (/AF).

    The file is compressed here, a megabyte at a time, and handed over compressed: the exports
    of a large report are tens of megabytes that never need to be in memory whole."""
    compressor = zlib.compressobj(6)
    checksum = hashlib.md5(usedforsecurity=False)
    size, chunks = 0, []
    with open(attachment.path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            size += len(block)
            checksum.update(block)
            chunks.append(compressor.compress(block))
    chunks.append(compressor.flush())
    date = encode_pdf_date(moment)
    spec = pikepdf.AttachedFileSpec(
        pdf,
        b"",
        description=attachment.description,
        filename=attachment.name,
        mime_type=attachment.mime_type,
        creation_date=date,
        mod_date=date,
        relationship=Name.Data,
    )
    stream = spec.get_file().obj
    stream.write(b"".join(chunks), filter=Name.FlateDecode)
    stream.Params.Size = size
    stream.Params.CheckSum = pikepdf.String(checksum.digest())
    pdf.attachments[attachment.name] = spec
    # PDF/A-3: the document lists it as associated data (qpdf may have done so already).
    associated = pdf.Root.get(Name.AF)
    if associated is None:
        associated = pdf.Root.AF = pdf.make_indirect(Array())
    if not any(item.objgen == spec.obj.objgen for item in associated):
        associated.append(spec.obj)
