"""Free text the public reads loses the phone numbers, ID numbers and names people typed into it."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minqing.lib.masking import mask_public_text


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("我叫张三，住3号楼，电话13812345678", "我叫**，住3号楼，电话138****5678"),
        ("联系人：李秀兰 138-1234-5678", "联系人：*** 138****5678"),
        ("手机 138 1234 5678，+86 139 0000 1111", "手机 138****5678，+86 139****1111"),
        ("手机：１３８１２３４５６７８", "手机：１３８****５６７８"),
        ("座机0931-8123456，或(0931)8765432", "座机0931-****3456，或(0931)-****5432"),
        ("身份证620103198001011234", "身份证620*************34"),
        ("身份证号62010319800101123X，旧证620103800101123", "身份证号620*************3X，旧证620**********23"),
        ("请张先生、王女士和李阿姨联系", "请*先生、*女士和*阿姨联系"),
        ("邻居李秀兰阿姨摔倒了", "邻居***阿姨摔倒了"),
        ("欧阳先生反映", "**先生反映"),
        ("我是王芳，我姓王", "我是**，我姓*"),
        ("本人王家明反映", "本人***反映"),
        ("我叫王芳住在3号楼", "我叫**住在3号楼"),
        ("姓名:黄河", "姓名:**"),
        ("电话 8123456", "电话 *****56"),
    ],
)
def test_phones_ids_and_names_are_masked(text: str, shown: str) -> None:
    assert mask_public_text(text) == shown


@pytest.mark.parametrize(
    "text",
    [
        "我叫了物业好几次，没人来",  # 叫 as in "called"
        "我是3号楼的居民",
        "居民安全没保障，业主方面反映多次",
        "高中老师说，管道师傅来过",  # words before 老师, 师傅 are no surnames
        "东方物业的工作人员",
        "MQ-20261130-00001 已受理，2026-11-30 08:00 派单",  # request numbers and dates are no phones
        "联系人：在3号楼",
    ],
)
def test_ordinary_words_numbers_and_dates_stay(text: str) -> None:
    assert mask_public_text(text) == text


def test_the_reporters_stored_name_is_masked_wherever_it_occurs() -> None:
    assert mask_public_text("路灯坏了。马桂兰反映过好几次，马桂兰家门口最黑", names=["马桂兰"]) == \
        "路灯坏了。***反映过好几次，***家门口最黑"
    assert mask_public_text("王", names=["王"]) == "王"  # one character would mask every 王 in the text


def test_a_name_published_on_purpose_stays() -> None:
    assert mask_public_text("王桂芳同志帮助独居的刘奶奶，电话13812345678", keep=["王桂芳"]) == \
        "王桂芳同志帮助独居的*奶奶，电话138****5678"


PHONE = st.builds(lambda head, rest: f"1{head}{rest}", st.sampled_from("3456789"),
                  st.text("0123456789", min_size=9, max_size=9))
SEP = st.sampled_from(["", " ", "-"])
PROSE = st.text(st.sampled_from("路灯坏了楼道里很黑请尽快修理，。号楼"), max_size=20)  # no digits: they would lengthen the number


@settings(max_examples=200, deadline=None)
@given(before=PROSE, phone=PHONE, sep=SEP, after=PROSE)
def test_no_mobile_number_survives_however_it_is_written(before: str, phone: str, sep: str, after: str) -> None:
    written = f"{phone[:3]}{sep}{phone[3:7]}{sep}{phone[7:]}"
    masked = mask_public_text(f"{before}{written}{after}")
    assert phone not in re.sub(r"[ -]", "", masked)
    assert mask_public_text(masked) == masked  # masking twice changes nothing


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_any_text_comes_back_as_text(text: str) -> None:
    masked = mask_public_text(text)
    assert isinstance(masked, str) and mask_public_text(masked) == masked
