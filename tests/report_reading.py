"""Reading a rendered report back as a subject's tools would: text (pypdf and poppler's
pdftotext), glyphs per character from the embedded fonts, subset tags, outline and the
structure tree; and rendering a report once for a whole test module."""

import io
import re
import subprocess
from collections import defaultdict
from contextlib import contextmanager

import pikepdf
from django.db import transaction
from django.test import override_settings
from fontTools.ttLib import TTFont
from pikepdf import Name
from pypdf import PdfReader

# Invisible characters a renderer keeps out of the text layer: bidi isolates and embeddings,
# joiners and variation selectors (inside emoji sequences).
INVISIBLE = dict.fromkeys(map(ord, "\u2066\u2067\u2068\u2069\u202a\u202b\u202c\u202d\u202e"))


@contextmanager
def rendered_once(django_db_blocker):
    """For a module-scoped fixture: data made and a report rendered in one transaction that is
    rolled back afterwards; in-process rendering. Capture what the tests need as plain values."""
    with (
        django_db_blocker.unblock(),
        override_settings(REPORT_RENDER_PROCESSES=1),
        transaction.atomic(),
    ):
        yield
        transaction.set_rollback(True)


def pypdf_pages(path) -> list[str]:
    return [page.extract_text() for page in PdfReader(path).pages]


def pdftotext_pages(path) -> list[str]:
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True
    ).stdout.decode()
    return text.split("\f")[:-1]


def flat(text: str) -> str:
    """Text with line breaks and runs of spaces as one space, invisible controls removed."""
    return " ".join(text.translate(INVISIBLE).split())


def outline_titles(path) -> list[tuple[str, int]]:
    with pikepdf.open(path) as pdf, pdf.open_outline() as outline:
        items = []

        def walk(nodes):
            for item in nodes:
                items.append((item.title, pikepdf.Page(item.destination[0]).index))
                walk(item.children)

        walk(outline.root)
        return items


def subset_names(path) -> list[tuple[str, bytes]]:
    """(BaseFont, font program bytes) of every subset font of every page, once per object."""
    with pikepdf.open(path) as pdf:
        seen, names = set(), []
        for page in pdf.pages:
            for font in page.obj.Resources.get(Name.Font, {}).values():
                if font.objgen in seen:
                    continue
                seen.add(font.objgen)
                base = str(font.get(Name.BaseFont, ""))
                if "+" in base:
                    descendant = font.DescendantFonts[0] if Name.DescendantFonts in font else font
                    descriptor = descendant.FontDescriptor
                    program = next(
                        descriptor[k]
                        for k in (Name.FontFile2, Name.FontFile3, Name.FontFile)
                        if k in descriptor
                    )
                    names.append((base, program.read_bytes()))
        return names


def _to_unicode(cmap: bytes) -> dict[int, str]:
    """A ToUnicode CMap's glyph → text entries (bfchar and bfrange)."""
    text = cmap.decode("latin-1")
    mapping = {}
    for block in re.findall(r"beginbfchar(.*?)endbfchar", text, re.S):
        for src, dst in re.findall(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]*)>", block):
            mapping[int(src, 16)] = bytes.fromhex(dst).decode("utf-16-be") if dst else ""
    for block in re.findall(r"beginbfrange(.*?)endbfrange", text, re.S):
        for lo, hi, dst in re.findall(
            r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block
        ):
            start = int.from_bytes(bytes.fromhex(dst), "big")
            for offset, code in enumerate(range(int(lo, 16), int(hi, 16) + 1)):
                mapping[code] = chr(start + offset)
    return mapping


class Glyphs:
    """The glyphs the PDF draws, per embedded font: which glyph ids, what text each maps to, and
    whether the font program has that glyph with something to draw."""

    def __init__(self, path):
        self.drawn: dict[str, set[int]] = defaultdict(set)  # font name → glyph ids drawn
        self.text: dict[str, dict[int, str]] = {}  # font name → glyph id → text
        self.programs: dict[str, TTFont] = {}
        self.bitmap: set[str] = set()
        with pikepdf.open(path) as pdf:
            for page in pdf.pages:
                fonts = page.obj.Resources.get(Name.Font, {})
                current = None
                for operands, operator in pikepdf.parse_content_stream(page):
                    op = str(operator)
                    if op == "Tf":
                        current = fonts.get(str(operands[0]))
                    elif op in ("Tj", "TJ") and current is not None:
                        self._drawn(current, operands[0])

    def _drawn(self, font, operand) -> None:
        if Name.DescendantFonts not in font:
            return  # a simple font (the footer's): one byte a character, WinAnsi
        name = str(font.BaseFont)
        if name not in self.text:
            self.text[name] = _to_unicode(font.ToUnicode.read_bytes())
            descriptor = font.DescendantFonts[0].FontDescriptor
            key = next(k for k in (Name.FontFile2, Name.FontFile3) if k in descriptor)
            program = descriptor[key].read_bytes()
            if key == Name.FontFile3 and descriptor[key].get(Name.Subtype) == Name.CIDFontType0C:
                self.programs[name] = None  # bare CFF: checked by glyph count only below
            else:
                self.programs[name] = TTFont(io.BytesIO(program))
        strings = operand if isinstance(operand, pikepdf.Array) else [operand]
        for item in strings:
            if isinstance(item, pikepdf.String):
                data = bytes(item)
                for index in range(0, len(data) - 1, 2):
                    self.drawn[name].add(int.from_bytes(data[index : index + 2], "big"))

    def notdef(self) -> dict[str, int]:
        """Fonts that draw glyph 0 (.notdef, an empty box), with how many kinds."""
        return {name: 1 for name, ids in self.drawn.items() if 0 in ids}

    def fonts_for(self, sample: str) -> dict[str, set[int]]:
        """Per font, the drawn glyph ids whose text holds a character of `sample`."""
        wanted = set(sample.translate(INVISIBLE)) - {" "}
        found: dict[str, set[int]] = defaultdict(set)
        for name, ids in self.drawn.items():
            for gid in ids:
                if set(self.text[name].get(gid, "")) & wanted:
                    found[name].add(gid)
        return found

    def covered(self, sample: str) -> set[str]:
        """The characters of `sample` that some drawn glyph maps back to."""
        chars = set()
        for name, ids in self.drawn.items():
            for gid in ids:
                chars |= set(self.text[name].get(gid, ""))
        return (set(sample.translate(INVISIBLE)) - {" "}) & chars

    def has_outline(self, name: str, gid: int) -> bool:
        """The embedded program has glyph `gid` with contours (TrueType) or is a bitmap or CFF
        font whose glyph exists."""
        program = self.programs[name]
        if program is None:
            return gid > 0
        if "glyf" not in program:
            return gid < len(program.getGlyphOrder())
        glyph_name = program.getGlyphOrder()[gid]
        glyph = program["glyf"][glyph_name]
        return glyph.numberOfContours != 0 or "CBDT" in program or program.get("CBLC") is not None


def structure_problems(path) -> list[str]:
    """Why the structure tree would not be valid: each marked content of each page must be in
    the parent tree under the page's /StructParents, pointing at an element that lists it and
    names the page; every element must name its parent; the outline of the tree must be whole."""
    problems = []
    with pikepdf.open(path) as pdf:
        root = pdf.Root.StructTreeRoot
        nums = root.ParentTree.Nums
        parent_tree = {int(nums[i]): nums[i + 1] for i in range(0, len(nums), 2)}
        keys = set()
        for index, page in enumerate(pdf.pages):
            if Name.StructParents not in page.obj:
                problems.append(f"page {index + 1} has no /StructParents")
                continue
            key = int(page.obj.StructParents)
            if key in keys:
                problems.append(f"page {index + 1} shares parent-tree key {key}")
            keys.add(key)
            mcids = [
                int(operands[1].get("/MCID"))
                for operands, operator in pikepdf.parse_content_stream(page)
                if str(operator) == "BDC"
                and isinstance(operands[1], pikepdf.Dictionary)
                and "/MCID" in operands[1]
            ]
            entries = parent_tree.get(key)
            if entries is None:
                problems.append(f"page {index + 1}: key {key} not in the parent tree")
                continue
            if len(set(mcids)) != len(mcids):
                problems.append(f"page {index + 1}: an MCID is used twice")
            for mcid in mcids:
                if mcid >= len(entries):
                    problems.append(f"page {index + 1}: MCID {mcid} has no element")
                    continue
                element = entries[mcid]
                if element.get(Name.Pg) is not None and element.Pg.objgen != page.obj.objgen:
                    problems.append(f"page {index + 1}: MCID {mcid}'s element names another page")
                kids = element.K if isinstance(element.K, pikepdf.Array) else [element.K]
                if mcid not in [int(k) for k in kids if isinstance(k, int)]:
                    problems.append(f"page {index + 1}: MCID {mcid} not among its element's kids")
        # Every element reached from the root names the element it hangs from.
        stack = [(root, kid) for kid in root.K]
        seen = 0
        while stack:
            parent, element = stack.pop()
            if not isinstance(element, pikepdf.Dictionary) or element.get(Name.Type) not in (
                None,
                Name.StructElem,
            ):
                continue
            if Name.S not in element:
                continue
            seen += 1
            if element.P.objgen != parent.objgen:
                problems.append(f"element {element.S} does not name its parent")
            kids = element.get(Name.K)
            if isinstance(kids, pikepdf.Array):
                stack.extend((element, kid) for kid in kids)
            elif isinstance(kids, pikepdf.Dictionary):
                stack.append((element, kids))
        if not seen:
            problems.append("the structure tree is empty")
    return problems


def structure_types(path) -> dict[str, int]:
    """How many structure elements of each type the tree holds."""
    counts: dict[str, int] = defaultdict(int)
    with pikepdf.open(path) as pdf:
        stack = list(pdf.Root.StructTreeRoot.K)
        while stack:
            element = stack.pop()
            if isinstance(element, pikepdf.Dictionary) and Name.S in element:
                counts[str(element.S)[1:]] += 1
                kids = element.get(Name.K)
                if isinstance(kids, pikepdf.Array):
                    stack.extend(kids)
                elif isinstance(kids, pikepdf.Dictionary):
                    stack.append(kids)
    return dict(counts)


def figure_alternatives(path) -> list[str]:
    alts = []
    with pikepdf.open(path) as pdf:
        stack = list(pdf.Root.StructTreeRoot.K)
        while stack:
            element = stack.pop()
            if isinstance(element, pikepdf.Dictionary) and Name.S in element:
                if str(element.S) == "/Figure":
                    alts.append(str(element.get(Name.Alt, "")))
                kids = element.get(Name.K)
                if isinstance(kids, pikepdf.Array):
                    stack.extend(kids)
    return alts
