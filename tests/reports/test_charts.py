"""Charts render Chinese with a real CJK font (no tofu boxes)."""

from __future__ import annotations

import warnings

import pytest
from PIL import Image


def test_cjk_font_is_found_and_covers_chinese():
    from matplotlib.ft2font import FT2Font

    from reports.fonts import cjk_font_file

    path = cjk_font_file()
    assert path.suffix.lower() in (".otf", ".ttf", ".ttc")
    assert any(k in path.name for k in ("CJK", "wqy", "Droid", "SimHei", "SourceHan"))
    font = FT2Font(str(path))
    assert all(font.get_char_index(ord(ch)) for ch in "反馈建议采纳率")


def test_chart_renders_every_glyph_with_the_cjk_font(tmp_path):
    from matplotlib import font_manager

    from reports import charts
    from reports.fonts import cjk_font_file

    with warnings.catch_warnings():
        # Any "Glyph … missing from font(s)" would now fail the test.
        warnings.filterwarnings("error", message=".*missing from font.*")
        path = charts.adoption_bars(["深圳经济特区电动自行车管理条例", "物业管理条例"], [14, 3], [4, 1], [1, 1],
                                    "反馈建议及采纳情况", tmp_path / "bars.png")
        charts.status_pie({"采纳": 4, "部分采纳": 1, "未采纳": 3}, "采纳情况", tmp_path / "pie.png")
    fig = charts.new_figure()
    text = fig.text(0.5, 0.5, "采纳率")
    used = font_manager.findfont(text.get_fontproperties(), fallback_to_default=False)
    # Another file of the same family (Debian's .ttc holds Noto Sans CJK SC too) is as good.
    chosen = font_manager.FontProperties(fname=str(cjk_font_file())).get_name()
    assert font_manager.get_font(used).family_name == chosen
    assert "CJK" in str(used) or str(used) == str(cjk_font_file())
    image = Image.open(path)
    assert image.size[0] > 600 and len(image.getcolors(1 << 20)) > 10


def test_a_font_without_chinese_is_refused(tmp_path):
    """The negative control: with DejaVu Sans the same label would be tofu, and save refuses."""
    from matplotlib.figure import Figure

    from minyi.core.errors import DependencyMissing
    from reports import charts

    fig = Figure()
    ax = fig.subplots()
    ax.set_title("采纳率", fontfamily="DejaVu Sans")
    with pytest.raises(DependencyMissing, match="missing from font"):
        charts.save(fig, tmp_path / "tofu.png")
    assert not (tmp_path / "tofu.png").exists()
