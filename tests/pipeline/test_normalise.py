from pipeline.normalise import normalise, normalise_text, to_simplified


def test_full_width_letters_and_digits_become_half_width_but_chinese_punctuation_stays():
    out = normalise_text("第１２条，ＡＢＣ：建议修改；是否可行？（一）")
    assert out == "第12条，ABC：建议修改；是否可行？（一）"


def test_ascii_punctuation_after_chinese_becomes_chinese_but_urls_and_numbers_do_not():
    out = normalise_text("时速太低,建议改为25.5公里;见https://example.org:8080/a")
    assert out == "时速太低，建议改为25.5公里；见https://example.org:8080/a"


def test_spaces_inside_chinese_and_citations_are_removed_latin_spaces_kept():
    assert normalise_text("第 12 条   应当\u3000修改 ") == "第12条应当修改"
    assert normalise_text("GB 17761 标准") == "GB 17761标准"
    assert normalise_text("a\r\n\r\n\r\n\r\nb") == "a\n\nb"


def test_html_tags_and_entities_are_removed():
    out = normalise_text("<p>建议&nbsp;删除第三十条&lt;限速&gt;</p><br/>谢谢")
    assert out == "建议删除第三十条<限速>\n\n谢谢"


def test_traditional_becomes_simplified_and_simplified_is_untouched():
    assert normalise_text("我對草案第十二條提幾點意見") == "我对草案第十二条提几点意见"
    assert to_simplified("电动自行车") == "电动自行车"


def test_the_skip_for_simplified_text_never_skips_what_opencc_would_change():
    from pathlib import Path

    import opencc

    from pipeline.normalise import _converter, _traditional_chars

    root = Path(opencc.__file__).parent / "dictionary"
    keys = [line.partition("\t")[0] for name in ("TSCharacters.txt", "TSPhrases.txt")
            for line in (root / name).read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(keys) > 4000
    # Every character and phrase OpenCC converts, alone and inside simplified text.
    for key in keys:
        for text in (key, f"建议{key}一并修改"):
            assert to_simplified(text) == _converter().convert(text), text
    # The skip is what makes it fast: ordinary simplified comments are not sent to OpenCC.
    plain = ["建议一律公开收费标准，不得一刀切。", "第十二条的期限太长，应当改为十五日。", "同意，支持这一条。"]
    assert all(_traditional_chars().isdisjoint(t) for t in plain)


def test_forum_quote_is_cut_and_recorded():
    n = normalise("引用 王五 的发言：\n第三十条不合理\n\n我觉得第三十条其实挺好的。")
    assert n.text == "我觉得第三十条其实挺好的。"
    assert n.removed == [("quote", "引用王五的发言：\n第三十条不合理")]


def test_reply_prefix_and_signature_trailer_are_cut_and_recorded():
    n = normalise("回复 #3 李四：同意楼上，第十二条应当修改。\n——张三 2026年1月5日")
    assert n.text == "同意楼上，第十二条应当修改。"
    kinds = [k for k, _ in n.removed]
    assert kinds == ["reply", "signature"]
    assert "张三" in n.removed[1][1]


def test_a_dash_inside_a_sentence_is_not_a_signature():
    text = "建议把时速提高到二十五公里——这是大家的心声"
    assert normalise(text).text == text
    assert normalise(text).removed == []


def test_a_quote_header_without_a_block_keeps_the_text_after_it():
    n = normalise("引用：第三十条太严")
    assert n.text == "第三十条太严"
    assert n.removed == [("quote", "引用：")]
