"""Parsing and validation of what citizens type, in one place for every form.

People type numbers with spaces, dashes, full-width digits or in Chinese; each parser
normalises first and returns ``None`` when the text holds no valid value.
"""
from __future__ import annotations

import re
import unicodedata
from typing import Callable, Optional, Sequence

_CN_DIGITS = {"零": "0", "〇": "0", "一": "1", "幺": "1", "二": "2", "两": "2", "三": "3", "四": "4",
              "五": "5", "六": "6", "七": "7", "八": "8", "九": "9"}
_PHONE = re.compile(r"(?<!\d)(1[3-9]\d{9})(?!\d)")
_APPLICATION_ID = re.compile(r"(?<![A-Za-z])SQ(\d{14})(?!\d)", re.IGNORECASE)  # 少打了个3 SQ…: a digit may precede
_ID_NUMBER = re.compile(r"(?<!\d)(\d{17}[\dXx])(?![\dXx])")
_FOUR_DIGITS = re.compile(r"(?<!\d)(\d{4})(?!\d)")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_ORDINALS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
_CHOICE = re.compile(r"^(?:我)?(?:选|要|就|是)?(?:第)?([1-9]|10|[一二两三四五六七八九十])"
                     r"(?:个|项|条|号)?(?:吧|的|那个|这个)?$")
_NAME = re.compile(r"^[\u4e00-\u9fa5·]{2,10}$")


def normalise(text: str) -> str:
    """Full-width to half-width and Chinese digits to Arabic; spaces and dashes removed."""
    text = unicodedata.normalize("NFKC", text)
    return re.sub(r"[\s\-－—_]", "", text)


def digits_of(text: str) -> str:
    return "".join(_CN_DIGITS.get(ch, ch) for ch in normalise(text))


def _search_words_first(pattern: "re.Pattern[str]", text: str,
                        prepare: Callable[[str], str] = normalise) -> Optional["re.Match[str]"]:
    """``pattern`` in one space-separated word first (YY… 13700002222: the phone is not more of the
    number), then in the text with spaces removed (SQ 2026 1118 000123)."""
    for word in text.split():
        match = pattern.search(prepare(word))
        if match:
            return match
    return pattern.search(prepare(text))


def phone_number(text: str) -> Optional[str]:
    match = _search_words_first(_PHONE, text, digits_of)
    return match.group(1) if match else None


def application_id(text: str) -> Optional[str]:
    match = _search_words_first(_APPLICATION_ID, text)
    return f"SQ{match.group(1)}" if match else None


def id_number(text: str) -> Optional[str]:
    """An 18-character resident ID number whose check digit is right (GB 11643-1999)."""
    for match in _ID_NUMBER.finditer(normalise(text)):
        candidate = match.group(1).upper()
        total = sum(int(d) * w for d, w in zip(candidate[:17], _ID_WEIGHTS, strict=True))
        if _ID_CHECK[total % 11] == candidate[17]:
            return candidate
    return None


def last_four_digits(text: str) -> Optional[str]:
    """The phone's last 4 digits from 1234 / 尾号1234 / 后四位是一二三四 (not a longer number)."""
    digits = digits_of(text)
    digits = re.sub(r"(后|尾号|末)四位", "", digits)
    matches = _FOUR_DIGITS.findall(digits)
    return matches[-1] if len(matches) == 1 else None


def _length_said(count: int, wanted: int) -> str:
    return "少了一位" if count == wanted - 1 else "多了一位" if count == wanted + 1 else f"是{count}位"


def application_id_problem(text: str) -> Optional[str]:
    """What is wrong with something that looks like an application number (SQ + 14 digits), or None.

    Only the form is judged, never whether such an application exists."""
    digits = digits_of(text)
    match = re.search(r"SQ(\d+)", digits, re.IGNORECASE)
    if match is not None:
        count = len(match.group(1))
        return None if count == 14 else f"您发的受理号SQ后面的数字{_length_said(count, 14)}（应为14位）。"
    other = re.search(r"(?<![A-Za-z])([A-Za-z]{1,3})?(\d{13,15})(?!\d)", digits)
    if other is None or (other.group(1) is None and _PHONE.fullmatch(other.group(2))):
        return None
    if other.group(1) is None and len(other.group(2)) != 14:
        return f"您发的数字{_length_said(len(other.group(2)), 14)}；受理号应以SQ开头，后面14位数字。"
    return "受理号应以SQ开头，后面是14位数字。"


_BOOKING_NO = re.compile(r"(?<![A-Za-z0-9])YY(\d{16})(?!\d)", re.IGNORECASE)


_LANDLINE = re.compile(r"(?<!\d)(0\d{2,3}\d{7,8}|[2-8]\d{6,7})(?!\d)")


def landline(text: str) -> Optional[str]:
    """A fixed-line number (0571-86001234 / 86001234): not a mobile, so it cannot take SMS reminders."""
    if phone_number(text):
        return None
    match = _LANDLINE.search(digits_of(text))
    return match.group(1) if match else None


def booking_number(text: str) -> Optional[str]:
    """A booking number (YY + 16 digits) as the portal issues it, from anywhere in the text."""
    match = _search_words_first(_BOOKING_NO, text, digits_of)
    return f"YY{match.group(1)}" if match else None


def booking_number_problem(text: str) -> Optional[str]:
    """What is wrong with something that looks like a booking number (YY + 16 digits), or None."""
    match = re.search(r"YY(\d+)", digits_of(text), re.IGNORECASE)
    if match is None or len(match.group(1)) == 16:
        return None
    return f"您发的预约号YY后面的数字{_length_said(len(match.group(1)), 16)}（应为16位）。"


def verification_problem(text: str) -> Optional[str]:
    """What is wrong with digits sent for the phone's last four (or the whole phone), or None."""
    runs = re.findall(r"\d+", digits_of(text))
    if len(runs) != 1 or len(runs[0]) in (4, 11):
        return None
    count = len(runs[0])
    if count >= 9:
        return f"您发的手机号{_length_said(count, 11)}（手机号是11位），请核对后再发，或只发后四位。"
    return f"您发的数字{_length_said(count, 4)}，请发手机号的后四位（4位数字）。"


def choice(text: str, count: int) -> Optional[int]:
    """Zero-based index picked from a numbered list of ``count`` options (2, 第二个, 选3, 最后一个)."""
    cleaned = normalise(text).rstrip("。.!！~")
    if re.fullmatch(r"(就)?(最后|末)(一)?个(吧)?", cleaned):
        return count - 1 if count else None
    match = _CHOICE.match(cleaned)
    if not match:
        return None
    raw = match.group(1)
    number = int(raw) if raw.isdigit() else _ORDINALS[raw]
    return number - 1 if 1 <= number <= count else None


def said_yes(text: str) -> bool:
    """确认 / 确定, or the first (only) option of a yes/no question: 1, 第一个, ①."""
    return normalise(text).rstrip("。.!！~") in ("确认", "确定") or choice(text, 1) == 0


CANCEL_VERBS = "取消|撤销|撤掉|撤|退掉|退"
BOOKING_VERBS = "预约|约|提交|订|办"
# "keep it / not now / let me think" is a no, even when it names the action (先别取消了, 不约了):
# a negation right before the action's verb, or words that only mean holding back.
_HOLD_BACK = ("留着|保留|再想想|想一想|想想再|再考虑|考虑考虑|考虑一下|等等|等一下|稍等|改天再|回头再|"
              "还要去|还是要去|要去的|还去的|还得去|先这样吧?$|不用了|不需要|没必要|^算了|^(不[了要用是对行]?)+$|^否$|^no$")
# 好好好 / 对额 (Shanghainese 对的) / 嗯嗯 / 行行: a repeated yes and dialect particles are still a plain yes;
# 要得 (Sichuan), 中 (Henan), 妥了 (Northeast), 好嘞 / 得嘞 (Beijing): a yes in dialect too.
_PLAIN_YES = re.compile(r"^(嗯|哦|噢|喔)?((是+|是的|对+|对的|对额|对咯|好+|好的|好额|行+|可以|可以的|阔以|嗯+|"
                        r"没错|没问题|没得问题|确认|确定|就这样|就这么办|就这么定了?|要得|中|中嘞|妥|妥了|"
                        r"好嘞|得嘞|成|ok|yes|y)(吧|啊|呀|的|了|额|哦|咯|呢|嘛|撒|哈)?)+$")
# 谢谢你啊同志 / 麻烦您了师傅: thanks, with the particles and forms of address older citizens use
_THANKS = re.compile(r"^(谢谢|多谢|谢了|麻烦了|麻烦你了|麻烦您了|辛苦了|辛苦你了|辛苦您了)(你|您|你们|您们)?"
                     r"(啦|了|啊|呀|哈)?(同志|师傅|姑娘|小姑娘|小伙子|老师|领导|美女|帅哥)?(啦|了|啊|呀|哈)?$")


def _all_yes(text: str) -> bool:
    """对的，就这样 / 好的，谢谢 / 对额 确认: every clause (spaces part them too) a plain yes or thanks
    ("好的，改下午" is not a plain yes)."""
    spaced = normalise(re.sub(r"\s+", "，", text.strip())).lower().rstrip("。.!！~～，,")
    clauses = [c for c in re.split(r"[，,。;；!！~～]+", spaced) if c]
    return bool(clauses) and bool(_PLAIN_YES.match(clauses[0])) and all(
        _PLAIN_YES.match(c) or _THANKS.match(c) for c in clauses)


def plain_yes(text: str) -> bool:
    """A bare yes that answers no question in particular (确认 / 好的 / 对额 / 1): at a question
    whose options the bot listed, it takes the first (earliest) one."""
    return _all_yes(text) or said_yes(text)


def _negated(verbs: str, also: str = "") -> "re.Pattern[str]":
    return re.compile(rf"(不|别|甭|莫|勿|没)(要|用|必|想|再|急着?|着急)?(给我|帮我|替我)?({verbs})|{_HOLD_BACK}{also}")


# at the read-back, cancelling (取消预约) is a no too
_KEEPS_BOOKING, _HOLDS_BACK_BOOKING = _negated(CANCEL_VERBS), _negated(BOOKING_VERBS, f"|{CANCEL_VERBS}")
_CANCEL_VERB, _BOOKING_VERB = re.compile(CANCEL_VERBS), re.compile(BOOKING_VERBS)


# "not going" is a reason to cancel, though it starts with 不 (不去了取消吧, 去不了了, 来不了)
_WONT_GO = re.compile(r"不(去|来)了|(去|来)不了|不想去|没空去|有事去不")


def confirms_cancel(text: str, intent: str) -> Optional[bool]:
    """The answer to "确认取消吗？": True, False, or None when it is neither. A doubt keeps the
    booking: 先别取消了 / 不取消 / 还是留着吧 / 我再想想 are no, though they name the action;
    不去了取消吧 is yes, though it starts with 不."""
    answer = _confirmation(text, intent, _KEEPS_BOOKING, _CANCEL_VERB, ("affirm", "cancel_appointment"), ("deny",))
    cleaned = normalise(text).lower()
    if answer is not True and _WONT_GO.search(cleaned) and not _KEEPS_BOOKING.search(cleaned):
        return True
    return answer


def confirms_booking(text: str, intent: str) -> Optional[bool]:
    """The answer to the booking read-back: 先不约了 / 不提交 / 我再想想 / 取消 are no."""
    return _confirmation(text, intent, _HOLDS_BACK_BOOKING, _BOOKING_VERB, ("affirm",), ("deny", "cancel_appointment"))


def _confirmation(text: str, intent: str, holds_back: "re.Pattern[str]", verb: "re.Pattern[str]",
                  yes: Sequence[str], no: Sequence[str]) -> Optional[bool]:
    """Held back → no; a plain yes or the action's own verb (撤了吧, 确认预约) → yes; else the intent."""
    cleaned = normalise(text).lower().rstrip("。.!！~～，,")
    if holds_back.search(cleaned):
        return False
    if _all_yes(text) or said_yes(text):
        return True
    if intent in no:
        return False
    return True if intent in yes or verb.search(cleaned) else None


def person_name(text: str) -> Optional[str]:
    """A Chinese personal name from 张三 / 我叫张三 / 姓名张三 / 名字是李秀英."""
    cleaned = re.sub(r"^(我叫|我是|姓名(是)?|名字(是)?|叫)", "", normalise(text)).rstrip("。.!！")
    return cleaned if _NAME.fullmatch(cleaned) else None


def numbered(options: Sequence[str]) -> str:
    return "\n".join(f"{n}. {option}" for n, option in enumerate(options, start=1))
