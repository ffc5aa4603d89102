"""Traditional characters in, simplified out (govbot/script.py), without touching what is
already simplified. OpenCC rather than jionlp's tra2sim: on the NLU data turned traditional and
back, tra2sim changed 56 already-simplified messages (幺→么 breaks a phone number read aloud,
钟→锺, 嘅→慨) where OpenCC changed 23 (2026-12-07)."""
from __future__ import annotations

import pytest

from govbot.script import to_simplified


@pytest.mark.parametrize("typed, simplified", [
    ("護照丟了怎麼辦", "护照丢了怎么办"),
    ("我嘅預約系幾點", "我嘅预约系几点"),  # Cantonese 嘅 and 系 stay
    ("鍾先生 電話幺三八零零", "钟先生 电话幺三八零零"),  # 幺 is the digit 1 read aloud
])
def test_traditional_text_becomes_simplified(typed, simplified):
    assert to_simplified(typed) == simplified


@pytest.mark.parametrize("text", ["幺八六 么么哒", "办居住证 ABC 123", "", "钟表 姓钟"])
def test_simplified_text_latin_and_digits_are_unchanged(text):
    assert to_simplified(text) == text
