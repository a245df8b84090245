"""Joining the rendered parts of a report into one PDF: pages in order, "page X of Y" footers,
bookmarks, the embedded exports (PDF/A-3 associated files) and the document's metadata."""

import logging
from dataclasses import dataclass

from django.contrib.staticfiles import finders

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
    metadata: dict[str, str],
    attachments: list[FileAttachment] = (),
) -> int:
    """Join the rendered parts into `out_path`, write "label · page X of Y" at the foot of every
    page, add the parts' bookmarks and embed `attachments`; return the number of pages.

    The first part is the base: it carries the PDF/A declaration.
    """
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=parts[0].path)
    offset = parts[0].pages
    for part in parts[1:]:
        reader = PdfReader(part.path)
        for page in reader.pages:
            writer.add_page(page)
        for title, index in part.bookmarks:
            writer.add_outline_item(title=title, page_number=offset + index)
        offset += part.pages
    _stamp_footers(writer, footer_label)
    for attachment in attachments:
        _embed_file(writer, attachment)
    writer.add_metadata(metadata)
    with open(out_path, "wb") as out:
        writer.write(out)
    return len(writer.pages)


def _embed_file(writer, attachment: FileAttachment) -> None:
    """Embed a file as PDF/A-3 requires: a compressed stream with its MIME type, size, dates and
    checksum, named in the document's embedded files and listed as associated data (/AF)."""
    import hashlib
    import zlib
    from datetime import UTC, datetime

    from pypdf.generic import (
        ArrayObject,
        ByteStringObject,
        DictionaryObject,
        NameObject,
        NumberObject,
        StreamObject,
        TextStringObject,
    )

    with open(attachment.path, "rb") as file:
        data = file.read()
    moment = TextStringObject(datetime.now(UTC).strftime("D:%Y%m%d%H%M%SZ"))
    stream = StreamObject()
    stream._data = zlib.compress(data, 6)
    stream.update(
        {
            NameObject("/Type"): NameObject("/EmbeddedFile"),
            NameObject("/Subtype"): NameObject("/" + attachment.mime_type.replace("/", "#2F")),
            NameObject("/Filter"): NameObject("/FlateDecode"),
            NameObject("/Params"): DictionaryObject(
                {
                    NameObject("/Size"): NumberObject(len(data)),
                    NameObject("/CreationDate"): moment,
                    NameObject("/ModDate"): moment,
                    NameObject("/CheckSum"): ByteStringObject(hashlib.md5(data).digest()),  # noqa: S324
                }
            ),
        }
    )
    del data
    name = TextStringObject(attachment.name)
    spec = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Filespec"),
            NameObject("/F"): name,
            NameObject("/UF"): name,
            NameObject("/Desc"): TextStringObject(attachment.description),
            NameObject("/AFRelationship"): NameObject("/Data"),
            NameObject("/EF"): DictionaryObject(
                {
                    NameObject("/F"): writer._add_object(stream),
                    NameObject("/UF"): stream.indirect_reference,
                }
            ),
        }
    )
    spec_ref = writer._add_object(spec)
    root = writer.root_object
    names = root.setdefault(NameObject("/Names"), DictionaryObject()).get_object()
    tree = names.setdefault(
        NameObject("/EmbeddedFiles"), DictionaryObject({NameObject("/Names"): ArrayObject()})
    ).get_object()
    # The name tree's keys must stay sorted.
    entries = list(zip(tree["/Names"][::2], tree["/Names"][1::2], strict=True))
    entries.append((name, spec_ref))
    entries.sort(key=lambda entry: str(entry[0]))
    tree[NameObject("/Names")] = ArrayObject([item for entry in entries for item in entry])
    associated = root.setdefault(NameObject("/AF"), ArrayObject()).get_object()
    associated.append(spec_ref)


FOOTER_FONT = "fonts/NotoSans-Regular.ttf"
FOOTER_SIZE = 7.5
FOOTER_GREY = 0.33
MM = 72 / 25.4


def _stamp_footers(writer, label: str) -> None:
    """Append a few text operators to every page: no layout engine, no parsing of the page.

    The footer uses its own small embedded font (a subset of Noto Sans, WinAnsi encoding), so its
    cost per page is a string format, and the text layer reads "label · page X of Y".
    """
    from pypdf.generic import ArrayObject, DecodedStreamObject, DictionaryObject, NameObject

    font_ref, widths = _footer_font(writer)
    total = len(writer.pages)
    font_name = NameObject("/ReportFooterFont")
    safe_label = label.encode("cp1252", "replace").decode("cp1252")
    for number, page in enumerate(writer.pages, start=1):
        text = f"{safe_label} · page {number} of {total}"
        encoded = text.encode("cp1252", "replace")
        width = sum(widths.get(byte, 500) for byte in encoded) * FOOTER_SIZE / 1000
        box = page.mediabox
        page_width, page_height = float(box.width), float(box.height)
        right = (14 if page_width > page_height else 18) * MM
        x = float(box.left) + page_width - right - width
        y = float(box.bottom) + 9 * MM
        literal = encoded.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")
        stream = DecodedStreamObject()
        stream.set_data(
            b"\nQ\nq BT %s %.2f Tf %.2f g %.2f %.2f Td (%s) Tj ET Q\n"
            % (font_name.encode(), FOOTER_SIZE, FOOTER_GREY, x, y, literal)
        )
        # Pages of one document often share their resources: give each page its own dictionary
        # (of references only) before adding the footer font to it.
        shared = page.get("/Resources")
        resources = DictionaryObject(shared.get_object() if shared is not None else {})
        shared_fonts = resources.get("/Font")
        fonts = DictionaryObject(shared_fonts.get_object() if shared_fonts is not None else {})
        fonts[font_name] = font_ref
        resources[NameObject("/Font")] = fonts
        page[NameObject("/Resources")] = resources
        contents = page.get("/Contents")
        existing = contents.get_object() if contents is not None else ArrayObject()
        if not isinstance(existing, ArrayObject):
            existing = ArrayObject([contents])
        # The page's own drawing is wrapped in q … Q so that it cannot move the footer.
        page[NameObject("/Contents")] = ArrayObject(
            [writer._add_object(_q_stream()), *existing, writer._add_object(stream)]
        )


def _q_stream():
    from pypdf.generic import DecodedStreamObject

    stream = DecodedStreamObject()
    stream.set_data(b"q\n")
    return stream


def _footer_font(writer):
    """Embed a subset of the footer font once; return its reference and widths per code."""
    from io import BytesIO

    from fontTools import subset
    from fontTools.ttLib import TTFont
    from pypdf.generic import (
        ArrayObject,
        DecodedStreamObject,
        DictionaryObject,
        FloatObject,
        NameObject,
        NumberObject,
    )

    logging.getLogger("fontTools").setLevel(logging.WARNING)  # it logs every table it prunes
    path = finders.find(FOOTER_FONT)
    if not path:
        raise RenderError(f"Static file {FOOTER_FONT} is missing.")
    font = TTFont(path)
    scale = 1000 / font["head"].unitsPerEm
    cmap = font.getBestCmap()
    first, last = 32, 255
    widths = {}
    for code in range(first, last + 1):
        char = bytes([code]).decode("cp1252", "replace")
        glyph = cmap.get(ord(char))
        if glyph:
            widths[code] = round(font["hmtx"][glyph][0] * scale)
    head, hhea = font["head"], font["hhea"]
    descriptor_values = {
        "/Flags": NumberObject(32),
        "/FontBBox": ArrayObject(
            [NumberObject(round(v * scale)) for v in (head.xMin, head.yMin, head.xMax, head.yMax)]
        ),
        "/ItalicAngle": NumberObject(0),
        "/Ascent": NumberObject(round(hhea.ascent * scale)),
        "/Descent": NumberObject(round(hhea.descent * scale)),
        "/CapHeight": NumberObject(round(font["OS/2"].sCapHeight * scale)),
        "/StemV": NumberObject(80),
    }
    options = subset.Options()
    options.layout_features = []
    options.name_IDs = ["*"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=[ord(bytes([c]).decode("cp1252", "replace")) for c in widths])
    subsetter.subset(font)
    data = BytesIO()
    font.save(data)
    program = DecodedStreamObject()
    program.set_data(data.getvalue())
    program[NameObject("/Length1")] = NumberObject(len(data.getvalue()))
    base_font = NameObject("/RPTFTR+NotoSans-Regular")
    descriptor = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/FontDescriptor"),
            NameObject("/FontName"): base_font,
            NameObject("/FontFile2"): writer._add_object(program),
            **{NameObject(k): v for k, v in descriptor_values.items()},
        }
    )
    font_dict = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/TrueType"),
            NameObject("/BaseFont"): base_font,
            NameObject("/FirstChar"): NumberObject(first),
            NameObject("/LastChar"): NumberObject(last),
            NameObject("/Widths"): ArrayObject(
                [FloatObject(widths.get(code, 0)) for code in range(first, last + 1)]
            ),
            NameObject("/Encoding"): NameObject("/WinAnsiEncoding"),
            NameObject("/FontDescriptor"): writer._add_object(descriptor),
        }
    )
    return writer._add_object(font_dict), widths
