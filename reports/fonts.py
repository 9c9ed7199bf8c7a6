"""Fonts: the official GB/T 9704 font names for documents, and a CJK font file for charts.

Documents name the official font first (方正小标宋简体, 仿宋_GB2312 …) so that Word and WPS use
it where installed; the font table lists fall-backs (w:altName) for machines without it.

Charts need a real font file with Chinese glyphs, found at run time (nothing is
downloaded): ``MINYI_CJK_FONT`` if set, the Noto Sans CJK SC shipped by the PyPI package
``mplfonts`` (so a fresh machine without apt has one), Debian's fonts-noto-cjk, then any
font matplotlib knows whose name says it covers Chinese.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from minyi.core.errors import DependencyMissing


@dataclass(frozen=True)
class OfficialFont:
    name: str  # what the document names (East-Asian font)
    # Alternatives in order: Windows names (Word, WPS), macOS, then the free fonts of Linux
    # distributions. w:altName gets the first; a PDF made here uses the first installed.
    fallbacks: tuple[str, ...]
    family: str = "roman"  # w:family: roman (serif), modern (sans), script
    panose: str = "02010600030101010101"  # PANOSE of a Song-style serif


# Distinct faces where the official fonts are missing: the title a heavy serif (中宋 / Noto
# Serif), the body a light Ming/Fangsong, first-level headings a sans (黑体), second-level
# a Kai script; page numbers 宋体.
TITLE = OfficialFont("方正小标宋简体", ("华文中宋", "STZhongsong", "Noto Serif CJK SC", "Source Han Serif SC",
                                   "宋体", "SimSun"))
BODY = OfficialFont("仿宋_GB2312", ("仿宋", "FangSong", "STFangsong", "AR PL UMing CN", "Noto Serif CJK SC"),
                    panose="02010609060101010101")
HEADING1 = OfficialFont("黑体", ("SimHei", "STHeiti", "Noto Sans CJK SC", "Source Han Sans SC",
                                "WenQuanYi Zen Hei"), family="modern", panose="02010609060101010101")
HEADING2 = OfficialFont("楷体_GB2312", ("楷体", "KaiTi", "STKaiti", "AR PL UKai CN", "WenQuanYi Zen Hei"),
                        family="script", panose="02010609060101010101")
PAGE_NUMBER = OfficialFont("宋体", ("SimSun", "AR PL UMing CN", "Noto Serif CJK SC"), panose="02010600030101010101")
# Arabic numerals and Latin text in the body (GB/T 9704 practice).
LATIN = "Times New Roman"
ALL_OFFICIAL = (TITLE, BODY, HEADING1, HEADING2, PAGE_NUMBER)


def installed_families() -> set[str] | None:
    """Font families fontconfig knows (what LibreOffice sees), or None without fc-list."""
    import shutil
    import subprocess

    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return None
    try:
        out = subprocess.run([fc_list, ":", "family"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return {name.strip() for line in out.splitlines() for name in line.split(",") if name.strip()}


def substitutions(families: set[str] | None = None) -> dict[str, str]:
    """Official font → the first installed fall-back, for each official font this machine
    lacks (the replacement table of the LibreOffice that converts to PDF)."""
    families = installed_families() if families is None else families
    if families is None:
        return {}
    out = {}
    for font in ALL_OFFICIAL:
        if font.name in families:
            continue
        found = next((f for f in font.fallbacks if f in families), None)
        if found:
            out[font.name] = found
    return out


DEBIAN_CJK = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
)
CJK_NAME_HINTS = ("CJK", "WenQuanYi", "Source Han", "SimHei", "SimSun", "Droid Sans Fallback", "Noto Sans SC")
# A few characters every chart label uses; a font must have them all.
PROBE = "采纳率意见建议条例联系点部"


def _mplfonts_file() -> Path | None:
    try:
        import mplfonts  # noqa: F401  (ships NotoSansCJKsc-Regular.otf)
    except ImportError:
        return None
    path = Path(mplfonts.__file__).parent / "fonts" / "NotoSansCJKsc-Regular.otf"
    return path if path.is_file() else None


def _covers_chinese(path: Path) -> bool:
    try:
        from matplotlib.ft2font import FT2Font

        font = FT2Font(str(path))
        return all(font.get_char_index(ord(ch)) for ch in PROBE)
    except Exception:  # unreadable or not a font
        return False


def candidate_font_files() -> list[Path]:
    out: list[Path] = []
    env = os.environ.get("MINYI_CJK_FONT")
    if env:
        out.append(Path(env))
    shipped = _mplfonts_file()
    if shipped:
        out.append(shipped)
    out += [Path(p) for p in DEBIAN_CJK]
    try:
        from matplotlib import font_manager

        for entry in font_manager.fontManager.ttflist:
            if any(h.lower() in entry.name.lower() for h in CJK_NAME_HINTS):
                out.append(Path(entry.fname))
    except Exception:  # pragma: no cover - matplotlib missing
        pass
    return out


@lru_cache(maxsize=1)
def cjk_font_file() -> Path:
    """The first font file that has Chinese glyphs; DependencyMissing when there is none."""
    for path in candidate_font_files():
        if path.is_file() and _covers_chinese(path):
            return path
    raise DependencyMissing(
        "no font with Chinese glyphs found for charts: `pip install mplfonts` "
        "(ships Noto Sans CJK SC), or `apt-get install fonts-noto-cjk`, or set MINYI_CJK_FONT"
    )


@lru_cache(maxsize=None)
def _register(path: Path) -> str:
    """Add the font file to matplotlib once (it parses the file); returns its family."""
    from matplotlib import font_manager

    font_manager.fontManager.addfont(str(path))
    return font_manager.FontProperties(fname=str(path)).get_name()


def use_cjk_font() -> str:
    """Register the CJK font with matplotlib and make it the default; returns its family."""
    import matplotlib

    family = _register(cjk_font_file())
    matplotlib.rcParams["font.family"] = "sans-serif"
    others = [f for f in matplotlib.rcParams["font.sans-serif"] if f != family]
    matplotlib.rcParams["font.sans-serif"] = [family, *others]
    matplotlib.rcParams["axes.unicode_minus"] = False  # the CJK font lacks U+2212
    return family
