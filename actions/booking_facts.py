"""The booking facts a citizen's words carry besides dates and numbers: which hall, "any hall",
"another hall", a correction of the item, and which of two close items the words mean.

Pure functions of the text (no portal, no tracker), so each rule is tested on its own and the
form reads every message with all of them, whatever question it asked.
"""
from __future__ import annotations

import re
from typing import Dict, List, Optional, Sequence

from actions.values import normalise

# Short names people use for the halls (the catalog's full names are matched as well).
HALL_WORDS: Dict[str, str] = {"市民中心": "SMZX", "市里": "SMZX", "东城": "DCQ", "出入境": "CRJ",
                              "车管所": "CGS", "车辆管理所": "CGS", "公积金中心": "GJJ", "公积金大厅": "GJJ",
                              "公积金管理中心": "GJJ"}
ANY_HALL = "*"  # appt_hall while the citizen leaves the hall to us (随便 / 最近的)
_DOESNT_MIND = re.compile(r"随便|哪个都行|哪都行|哪个都可以|哪里都行|都可以|都行|最近的|离我近|近一点的|"
                          r"无所谓|你(来)?定|你看着办|听你的|你安排")
_OTHER_HALL = re.compile(r"换(一)?个(大厅|地方)|换(到)?别的大厅|其他大厅|别的地方|不去这个大厅")
# Words that name a service; a message without any is not searched for an item once one is known.
_ITEM_CUE = re.compile(r"证|照|户口|户籍|落户|迁|公积金|社保|医保|执照|登记|签注|居住|婚|出生|营业|驾|车|税|"
                       r"退休|残疾|低保|补办|补发|申领|换领|换发")
_CORRECTION = re.compile(r"不对|弄错|搞错|错了|说错|不是|其实是|应该是|我是要|是要办|改成|换成|改办|改为")
# Two items that the same words fit; the first unless the text says why it is the second.
_FIRST_UNLESS = (("CRJ-0001", "CRJ-0002", re.compile(r"丢|补|遗失|掉|被偷|被盗|找不到|损|坏|泡水|撕")),
                 ("MZ-0001", "GA-0007", re.compile(r"居住")))  # 俺俩去领证 is marrying, not a residence permit
# Words that tell the variants of one document apart (补领 / 换领 / 首次申领, 补证 / 期满换证); 换 only
# as "replace it", not "move the booking" (换到周四, 换成下午, 换个大厅).
_VARIANT_CUE = re.compile(r"丢|补(?!充)|坏|损|遗失|被偷|被盗|掉了|找不到|到期|过期|期满|新办|首次|第一次|没办过|从没|没有过|"
                          r"换(?!到|成|为|个|一个|一下|时间|大厅|地方|别)")
FAMILY_PREFIX = 3  # items whose names start alike (居民身份证补领 / 居民身份证换领) are one document's variants


def hall_named(text: str, halls: Sequence[Dict[str, str]]) -> Optional[str]:
    """The code of the hall ``text`` names among ``halls`` (dicts with code and name), or None."""
    cleaned = normalise(text)
    codes = {h["code"] for h in halls}
    for hall in halls:
        if hall["name"] in cleaned or hall["name"].replace("江州市", "") in cleaned:
            return hall["code"]
    return next((code for word, code in HALL_WORDS.items() if word in cleaned and code in codes), None)


def speaks_of_hall(text: str) -> bool:
    """Whether the words may choose a hall at all (so a plain "确认" needs no look-up)."""
    cleaned = normalise(text)
    return any(word in cleaned for word in HALL_WORDS) or bool(_DOESNT_MIND.search(cleaned)
                                                               or _OTHER_HALL.search(cleaned))


def doesnt_mind_hall(text: str) -> bool:
    """随便 / 哪个都行 / 最近的: the citizen leaves the hall to us."""
    return bool(_DOESNT_MIND.search(normalise(text)))


def wants_other_hall(text: str) -> bool:
    """换个大厅: the hall read back is to be changed."""
    return bool(_OTHER_HALL.search(normalise(text)))


def may_name_item(text: str, item_known: bool, asked: bool = False) -> bool:
    """Whether to look for an item in ``text``: while none is known, when the words name a service
    or the item was asked; once one is, only when the words name a service and say the item was
    wrong (弄错了，我是要办居住证), so "好了吗" or "换成周四下午" never starts the item over."""
    cleaned = normalise(text)
    if not item_known:
        return bool(_ITEM_CUE.search(cleaned) or (asked and re.search(r"[\u4e00-\u9fa5]{2}", cleaned)))
    return bool(_ITEM_CUE.search(cleaned) and _CORRECTION.search(cleaned))


def names_service(text: str) -> bool:
    """Whether ``text`` has a word that names a service (护照, 居住证): then it is not a name."""
    return bool(_ITEM_CUE.search(normalise(text)))


def settle_candidates(text: str, codes: List[str]) -> Optional[str]:
    """One item among close candidates when the words really fit only one (办护照 without 丢/补
    is the first passport), else None (then the citizen is asked)."""
    for first, second, second_words in _FIRST_UNLESS:
        if first in codes and second in codes:
            return second if second_words.search(text) else first
    return None


def tells_variant(text: str) -> bool:
    """丢了 / 卡坏了 换一张 / 到期了要换: words that may move the item to a variant of the same document."""
    return bool(_VARIANT_CUE.search(normalise(text)))


def same_family(name: str, other: str) -> bool:
    """Two variants of one document: 社会保障卡申领 and 社会保障卡补换, not 往来港澳通行证 and 普通护照."""
    shared = 0
    for a, b in zip(name, other):
        if a != b:
            break
        shared += 1
    return name != other and shared >= FAMILY_PREFIX


def variant_named(text: str, candidates: Sequence[Dict[str, str]]) -> Optional[str]:
    """The one candidate whose own part of the name the words say (社保卡补换 among 社会保障卡补换 /
    社会保障卡申领; 补领身份证 among 居民身份证补领 / 换领 / 首次申领), when all are one document's variants."""
    names = [c["name"] for c in candidates]
    if len(names) < 2 or not all(same_family(names[0], n) for n in names[1:]):
        return None
    shared = len(_common_prefix(names))
    cleaned = normalise(text)
    said = [c["code"] for c in candidates if c["name"][shared:] and c["name"][shared:] in cleaned]
    return said[0] if len(said) == 1 else None


def _common_prefix(names: Sequence[str]) -> str:
    prefix = names[0]
    for name in names[1:]:
        while not name.startswith(prefix):
            prefix = prefix[:-1]
    return prefix
