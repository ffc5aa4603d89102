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
_VARIANT_CUE = re.compile(r"丢|补(?!充)|坏|损|遗失|被偷|被盗|掉了|找不到|到期|过期|期满|新办|首次|第一次|没办过|从没|"
                          r"没有过|换(?!到|成|为|个|一个|一下|时间|大厅|地方|别)")
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
    for a, b in zip(name, other, strict=False):
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


# Talk about the weather, food, shares or the hall's hours: a day or hour in it (今天好冷, 明天天气怎么样,
# 几点下班) is not the booking's, so such a message changes no fact.
_SMALL_TALK = re.compile(r"天气|好冷|好热|真冷|真热|太冷|太热|冷啊|热啊|冷死|热死|下雨|下雪|刮风|气温|温度|雾霾|"
                         r"股票|股市|基金|彩票|外卖|吃饭|吃过|吃了吗|下班|开门|关门|营业时间|上班时间")
_ANY_HOUR = re.compile(r"(几点|什么时[候间]|哪个时[段间]|时间|时段)(都|也)(行|可以|好|成|没问题)|随便几点|"
                       r"几点(无所谓|随便)|时间(随便|无所谓|你定|你安排)")
_DECLINES_NAME = re.compile(r"(名字|姓名|名)(就|先|能)?(不|别)(想|用|方便)?(说|报|告诉|留|填|写|给)|"
                            r"不(想|方便)(说|报|告诉|留)(名字|姓名)|(名字|姓名)(保密|跳过)|匿名|^跳过$")


def off_topic(text: str) -> bool:
    """Small talk (weather, food, shares, office hours): its 今天/明天/几点 are not the booking's."""
    return bool(_SMALL_TALK.search(normalise(text)))


def any_hour(text: str) -> bool:
    """几点都行 / 时间随便: the citizen leaves the hour to us."""
    return bool(_ANY_HOUR.search(normalise(text)))


def declines_name(text: str) -> bool:
    """名字就不说了 / 匿名 / 跳过 (at the name question): a refusal to name, not a wish to stop."""
    return bool(_DECLINES_NAME.search(normalise(text)))
