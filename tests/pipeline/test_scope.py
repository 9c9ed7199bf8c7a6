"""pipeline.scope: how people write to a consultation, whatever the draft."""

from __future__ import annotations

import pytest

from pipeline.scope import adds_nothing_to_agreement, agrees_with_earlier_post


@pytest.mark.parametrize("text", ["同意楼上", "同上，支持！", "同意楼上老张的意见，先警告再罚款。", "+1", "附议，说得好！"])
def test_an_agreement_that_adds_nothing_needs_its_thread(text):
    assert agrees_with_earlier_post(text)
    assert adds_nothing_to_agreement(text)


@pytest.mark.parametrize("text", [
    "同意大家的意见，小区门禁必须保留刷卡密码，不能只刷脸！",
    "同上。按营业额罚款会让小企业直接倒闭，建议改成按违法所得罚。",
    "+1，建议把期限延长到三十日。",
])
def test_an_agreement_that_goes_on_to_make_its_point_is_an_opinion(text):
    assert agrees_with_earlier_post(text)
    assert not adds_nothing_to_agreement(text)


def test_a_text_that_does_not_agree_with_anyone_is_not_a_reply():
    assert not adds_nothing_to_agreement("建议删除第五条。")
