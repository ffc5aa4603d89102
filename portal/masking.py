"""How the portal shows personal data to the bot: enough for the citizen to recognise it, no more."""
from __future__ import annotations


def mask_name(name: str) -> str:
    """王小明 → 王*明, 张伟 → 张*, 欧阳娜娜 → 欧**娜."""
    if len(name) <= 2:
        return name[0] + "*" * (len(name) - 1)
    return name[0] + "*" * (len(name) - 2) + name[-1]


def mask_phone(phone: str) -> str:
    """13812345678 → 138****5678."""
    return phone[:3] + "****" + phone[-4:]
