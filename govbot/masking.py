"""Personal data shown masked, one rule for every process: the portal's answers, what the bot
reads back to a citizen, and log lines (``govbot.logmask``, which also masks names harder).

A citizen recognises 王*明 and 138****5678 as their own; nobody else learns them.
"""
from __future__ import annotations

import re

PHONE_IN_TEXT = re.compile(r"(?<!\d)1\d{10}(?!\d)")
ID_NUMBER_IN_TEXT = re.compile(r"(?<!\d)\d{17}[\dXx](?![\dXx])")


def mask_phone(phone: str) -> str:
    """13812345678 → 138****5678."""
    return phone[:3] + "****" + phone[-4:]


def mask_id_number(number: str) -> str:
    """11010519491231002X → 110105********002X (the region, not the birthday)."""
    return number[:6] + "*" * 8 + number[-4:]


def mask_name(name: str) -> str:
    """王小明 → 王*明, 张伟 → 张*, 欧阳娜娜 → 欧**娜: the citizen's own name, recognisable to them."""
    if len(name) <= 2:
        return name[0] + "*" * (len(name) - 1)
    return name[0] + "*" * (len(name) - 2) + name[-1]


def mask_numbers(text: str) -> str:
    """``text`` with every ID number and mobile phone number in it masked."""
    text = ID_NUMBER_IN_TEXT.sub(lambda m: mask_id_number(m.group(0)), text)
    return PHONE_IN_TEXT.sub(lambda m: mask_phone(m.group(0)), text)
