"""The fonts of the portal and the report: Debian's Noto fonts, served as our static files.

`static/fonts/fonts.css` names the font files (`url(noto/NAME)`); `FontFinder` serves exactly
those, as `fonts/noto/NAME`, from the named font folders (`settings.FONT_DIRS`, Debian's
`/usr/share/fonts/truetype/noto` and `/usr/share/fonts/opentype/noto` unless set). Nothing else
in those folders is served, and the report's renderer reads fonts through the same finder, so
both use the same files. A missing file is a `FontMissing` error naming the package to install.
"""

import re
from functools import cache
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles.finders import BaseFinder
from django.core.checks import Warning
from django.core.files.storage import FileSystemStorage

FONTS_CSS = Path(settings.BASE_DIR) / "static" / "fonts" / "fonts.css"
URL_PREFIX = "fonts/noto"
# Which Debian package brings a file (for the error message).
PACKAGES = {".ttc": "fonts-noto-cjk", "NotoColorEmoji.ttf": "fonts-noto-color-emoji"}
DEFAULT_PACKAGE = "fonts-noto-core"
INSTALL_HINT = "apt-get install fonts-noto-core fonts-noto-cjk fonts-noto-color-emoji"


class FontMissing(Exception):
    """A font file named in fonts.css is in none of the font folders."""


@cache
def font_names() -> tuple[str, ...]:
    """The font files fonts.css names, in its order."""
    text = FONTS_CSS.read_text(encoding="utf-8")
    names = re.findall(r"url\(" + re.escape(URL_PREFIX.split("/")[-1]) + r"/([^)]+)\)", text)
    return tuple(dict.fromkeys(names))


def package_of(name: str) -> str:
    return PACKAGES.get(name) or PACKAGES.get(Path(name).suffix) or DEFAULT_PACKAGE


def font_path(name: str) -> Path | None:
    """The real path of a font file named in fonts.css, from the first folder that has it."""
    if name not in font_names():
        return None
    for folder in settings.FONT_DIRS:
        path = Path(folder) / name
        if path.is_file():
            return path.resolve()
    return None


def missing_fonts() -> list[str]:
    return [name for name in font_names() if font_path(name) is None]


def check_fonts() -> None:
    """Raise FontMissing when a font of fonts.css is in none of the font folders."""
    missing = missing_fonts()
    if missing:
        packages = sorted({package_of(name) for name in missing})
        raise FontMissing(
            f"Fonts missing from {', '.join(map(str, settings.FONT_DIRS))}: "
            f"{', '.join(missing)}. Install {' '.join(packages)} ({INSTALL_HINT})."
        )


class FontFinder(BaseFinder):
    """A static files finder serving the font files fonts.css names, from FONT_DIRS."""

    def check(self, **kwargs):
        missing = missing_fonts()
        if not missing:
            return []
        return [
            Warning(
                f"{len(missing)} fonts of static/fonts/fonts.css are missing (e.g. {missing[0]}).",
                hint=f"Install them: {INSTALL_HINT}, or set FONT_DIRS.",
                id="dsar_portal.W001",
            )
        ]

    def find(self, path, find_all=False, **kwargs):
        prefix = URL_PREFIX + "/"
        found = None
        if path.startswith(prefix):
            real = font_path(path.removeprefix(prefix))
            found = str(real) if real else None
        if find_all:
            return [found] if found else []
        return found

    def list(self, ignore_patterns):
        for name in font_names():
            real = font_path(name)
            if real is None:
                continue
            storage = FileSystemStorage(location=str(real.parent))
            storage.prefix = URL_PREFIX
            yield name, storage
