"""预约: the booking form (item, hall, day, hour, name, phone, read-back), submission with an
idempotency key, and listing and cancelling one's own bookings.

Every message is read for every fact (item, hall, day, part of day, hour, name, phone), whatever
question was asked: an answer to another question is taken for what it is, a correction replaces
the earlier value (a new item drops a hall that does not serve it, a new day re-checks the hour),
and the form then asks only what is still missing. The questions are in ``booking_questions``,
the choice of hall and hour in ``booking_times``, the words in ``booking_facts``.
"""
from __future__ import annotations

import hashlib
import logging
import re
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import FormValidationAction, Tracker
from rasa_sdk.events import ActiveLoop, EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.booking_facts import (
    ANY_HALL,
    any_hour,
    declines_name,
    doesnt_mind_hall,
    hall_named,
    may_name_item,
    names_service,
    off_topic,
    settle_candidates,
    speaks_of_hall,
    tells_variant,
    variant_named,
    wants_other_hall,
)
from actions.booking_questions import (  # noqa: F401 - the form's questions, registered from here too
    AskApptConfirmed,
    AskApptDate,
    AskApptHall,
    AskApptHour,
    AskApptItem,
    AskApptName,
    AskApptPhone,
)
from actions.booking_state import (  # noqa: F401 - re-exported for the cancel part and tests
    CONTACT_DECLINED,
    CONTACT_OFFERED,
    FORM_SLOTS,
    HELPER_SLOTS,
    contact_fields,
    shown_phone,
    stored,
    stored_contact,
)
from actions.booking_times import (
    SLOT_CHOICE,
    alternatives_message,
    earliest,
    free_slots,
    nearest,
    reason_text,
    wish_label,
)
from actions.common import (
    CLEAR_CHOICE,
    day_label,
    entity,
    intent_of,
    pending_choice,
    say,
    slots_reset,
    sorry_portal_down,
    text_of,
)
from actions.dates import NUMBERS, When, parse_when, when_said
from actions.failsafe import SafeAction, SafeFormValidationAction
from actions.gov_api import GovApiError, GovApiRefused, GovApiUnavailable, gov_api
from actions.guides import bring_line, find_item, pick_among, variant_of
from actions.repair import wants_out
from actions.values import (
    choice,
    confirms_booking,
    landline,
    person_name,
    phone_number,
    plain_yes,
)
from govbot.clock import china_now

logger = logging.getLogger(__name__)
TIME_SLOTS = {"appt_item", "appt_hall", "appt_date", "appt_hour", "appt_when"}
FACT_SLOTS = TIME_SLOTS | {"appt_name", "appt_phone"}
KEPT_ON_ERROR = ("appt_name", "appt_phone")  # facts that need no portal check: kept when the portal fails
# The commonest surnames (about 250, nearly every citizen's): a bare word that starts with one is a name
# in any message; any other plausible word only when the name was asked.
_SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余"
             "杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付傅方白邹孟熊秦邱江尹薛闫阎段雷侯"
             "龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤欧常甘霍牛包车卫阮柏聂殷詹翟倪庞乔葛鲁谷"
             "麦梅盛童芦卜柳樊凌岳伍费邬鲍焦施蓝祝邢汝苗饶柯滕裴池苟鞠邝冉宫蒲骆辛景舒巫洪娄纪")
_COMPOUND_SURNAMES = ("欧阳", "司马", "诸葛", "上官", "东方", "慕容", "令狐", "皇甫", "尉迟", "公孙", "夏侯", "长孙",
                      "宇文", "司徒", "端木", "独孤", "南宫", "西门", "澹台", "呼延")
_NAME_SAID = re.compile(r"(?:我叫|我是|姓名(?:是)?|名字(?:是|叫)?|预约人(?:是)?|叫|是)[:：]?([\u4e00-\u9fa5·]{2,4})")
_NOT_NAME_WORDS = re.compile(r"不|没|吗|呢|啥|什么|怎么|为什么|跳过|知道|时间|大厅|预约|上午|下午|谢谢|再见|拜拜|"
                             r"你好|您好|好的|好吧|人工|客服|机器")
# Characters of talk, not of names: a word with one is no name (先说个事, 几点都行, 侬好伐).
_TALK_CHARS = re.compile(r"[了吗呢吧啊呀哦嗯么什怎谁哪这那们说事个给让把被就都也还要想去在我你您他她它是该错对改换能会"
                         r"可再等好行额伐侬啥咋的证照卡费贴所局厅区办约号点午]")
_TITLE = re.compile(r"(先生|女士|小姐|老师|师傅|阿姨|大爷|大妈|同志|老板)$")  # 邱先生: a full name beats it
# Words after a name that are not part of it (冯晓燕手机…, 王明电话…): a boundary is put before them.
_AFTER_NAME = re.compile(r"(手机|电话|号码|联系|身份证|今天|明天|后天|周[一二三四五六日天]|星期|上午|下午|晚上)")
_SPOKEN_NUMBER = re.compile(r"[零〇一二三四五六七八九幺两]{3,}")  # 一三八 零零零零: a phone said in words


def _without_numbers(text: str) -> str:
    """The text without phone and ID numbers, so the date parser never reads them as a time."""
    return NUMBERS.sub(" ", text)


def _when(tracker: Tracker) -> Optional[When]:
    """The day and time said, unless the words are small talk (今天好冷啊 at the read-back is no new day)."""
    text = text_of(tracker)
    return None if off_topic(text) else when_said(text, china_now())


def said_name(text: str, asked: bool) -> Optional[str]:
    """The person's name in ``text``: after 我叫/姓名/是 anywhere, or a bare name. A bare word that
    does not start with a common surname counts only when the name was asked; a full name beats
    one with a title (我是邱先生 邱志刚: 邱志刚), which is taken only when no full name is given."""
    cleaned = _AFTER_NAME.sub(r" \1", _SPOKEN_NUMBER.sub(" ", _without_numbers(text)))
    found = [person_name(m.group(1)) for m in _NAME_SAID.finditer(cleaned)]
    found += [person_name(p) for p in re.split(r"[\s,，。;；、!！:：]+", cleaned) if p]
    names = [n for n in found if n and len(n) <= 4 and _plausible_name(n, asked)]
    full = [n for n in names if not _TITLE.search(n)]
    return next(iter(full or names), None)


def _plausible_name(word: str, asked: bool) -> bool:
    """A word that may be a person's name: no talk, no time, and a common surname unless asked."""
    surname = 2 if word[:2] in _COMPOUND_SURNAMES else 1 if word[0] in _SURNAMES else 0
    if not (surname or asked) or _NOT_NAME_WORDS.search(word) or _TALK_CHARS.search(word[surname:]):
        return False
    return parse_when(word, china_now()) is None


def _cleared_choice() -> Dict[Text, Any]:
    return {"choice_kind": None, "choice_options": None}


YES_TAKES_FIRST = (SLOT_CHOICE, "appt_date", "appt_hour")  # lists in time order: a bare yes takes the earliest


def _picked(tracker: Tracker, kind: str) -> Optional[Any]:
    """The option a number picks from the list the bot offered last, if that list is ``kind``; to a
    list of days or hours a bare yes (确认 / 对额) takes the first, the earliest, as the form's default does."""
    offered, options = pending_choice(tracker)
    if offered != kind or not options:
        return None
    text = text_of(tracker)
    index = choice(text, len(options))
    if index is None and kind in YES_TAKES_FIRST and plain_yes(text):
        index = 0
    return options[index] if index is not None else None


class ValidateAppointmentForm(SafeFormValidationAction):
    def name(self) -> Text:
        return "validate_appointment_form"

    # --- extraction: every fact may come in any message (明天下午 13812345678) ---------

    async def extract_appt_item(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                domain: DomainDict) -> Dict[Text, Any]:
        picked = _picked(tracker, "appt_item")
        if picked is not None:
            return {"appt_item": picked, **_cleared_choice()}
        text, known = text_of(tracker), tracker.get_slot("appt_item")
        asked = tracker.get_slot("requested_slot") == "appt_item"
        kind, options = pending_choice(tracker)
        if kind == "appt_item" and options and not known:
            # 丢了 要补办 picks among the listed items; 俺叫于海洋，手机… leaves the list open
            contact = phone_number(text) or said_name(text, False)
            among = None if contact and not names_service(text) else await pick_among(text, options)
            if among or not names_service(text):
                return {"appt_item": among, **_cleared_choice()} if among else {}
        if known and not may_name_item(text, True) and tells_variant(text):
            variant = await variant_of(text, known)  # 卡坏了 换一张 after 社会保障卡申领
            if variant:
                return {"appt_item": variant, "appt_confirmed": None}
        if not (may_name_item(text, bool(known), asked) or (entity(tracker, "service_item") and not known)):
            in_context = tracker.get_slot("item_code")  # the item a guide answer was about
            return {} if known or in_context is None else {"appt_item": in_context}
        found = await find_item(text)
        codes = [c["code"] for c in found.candidates]
        code = found.code or settle_candidates(text, codes) or variant_named(text, found.candidates)
        if code is None and codes and codes != [known]:  # AskApptItem lists them
            return {"appt_item": None, "appt_confirmed": None, "choice_kind": "appt_item", "choice_options": codes}
        if code and code != known:
            return {"appt_item": code, "appt_confirmed": None}
        return {}

    async def extract_appt_hall(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                domain: DomainDict) -> Dict[Text, Any]:
        picked = _picked(tracker, "appt_hall")
        if picked is not None:
            return {"appt_hall": picked, "appt_confirmed": None, **_cleared_choice()}
        text, item = text_of(tracker), tracker.get_slot("appt_item")
        asked = tracker.get_slot("requested_slot") == "appt_hall"
        if not (speaks_of_hall(text) or (asked and item and choice(text, len(_ALL_HALLS)) is not None)):
            return {}
        halls = (await gov_api().guide(item))["halls"] if item else [{"code": c, "name": c} for c in _ALL_HALLS]
        index = choice(text, len(halls)) if asked and item else None  # "1" to the list of the item's halls
        named = halls[index]["code"] if index is not None else hall_named(text, halls)
        if named and named != tracker.get_slot("appt_hall"):
            return {"appt_hall": named, "appt_confirmed": None}
        if wants_other_hall(text) and len(halls) > 1:
            return {"appt_hall": None, "appt_confirmed": None}
        if doesnt_mind_hall(text) and (asked or "大厅" in text or "地方" in text):
            return {"appt_hall": ANY_HALL, "appt_confirmed": None, **_cleared_choice()}
        return {}

    async def extract_appt_date(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                domain: DomainDict) -> Dict[Text, Any]:
        picked = _picked(tracker, SLOT_CHOICE)  # one of the nearest free slots offered: day, hour, hall
        if picked is not None:
            day, hour, hall = picked
            return {"appt_date": day, "appt_hour": hour, "appt_hall": hall, "appt_when": None,
                    "appt_confirmed": None, **_cleared_choice()}
        picked = _picked(tracker, "appt_date")
        if picked is not None:
            return {"appt_date": picked, "appt_confirmed": None, **_cleared_choice()}
        when = _when(tracker)
        if when is None or when.day is None:
            return {}
        result: Dict[Text, Any] = {"appt_date": when.day.isoformat(), "appt_confirmed": None}
        if when.hour is not None or when.hours != (0, 24):
            result.update({"appt_when": [when.hour, *when.hours], "appt_hour": None})
        return result

    async def extract_appt_hour(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                domain: DomainDict) -> Dict[Text, Any]:
        picked = _picked(tracker, "appt_hour")
        if picked is not None:
            return {"appt_hour": picked, "appt_when": None, "appt_confirmed": None, **_cleared_choice()}
        when = _when(tracker)
        if when is None and any_hour(text_of(tracker)):  # 几点都行: the earliest free hour, or the one chosen
            hour = tracker.get_slot("appt_hour")
            return {"appt_hour": hour} if hour is not None else {"appt_when": [None, 0, 24], "appt_confirmed": None}
        if when is None or when.day is not None or (when.hour is None and when.hours == (0, 24)):
            return {}  # a day with its time was taken with the day
        return {"appt_when": [when.hour, *when.hours], "appt_hour": None, "appt_confirmed": None}

    async def extract_appt_name(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                domain: DomainDict) -> Dict[Text, Any]:
        kind, options = pending_choice(tracker)
        asked = tracker.get_slot("requested_slot") == "appt_name"
        intent = intent_of(tracker)
        if asked and kind == CONTACT_OFFERED and options:
            if intent == "affirm" or choice(text_of(tracker), 1) == 0:
                name, phone = options[0]  # the last booking's contact: masked name, stored_contact(...)
                return {"appt_name": name, "appt_phone": phone, **_cleared_choice()}
            if intent == "deny":  # 不是 / 换个人: ask for the name plainly
                return {"choice_kind": CONTACT_DECLINED, "choice_options": None}
        if wants_out(text_of(tracker)):  # 算了 is a wish to stop, not a name; a name is one whatever the intent
            return {}
        name = said_name(text_of(tracker), asked)
        if not name or name == tracker.get_slot("appt_name") or _is_other_fact(name):
            return {}
        cleared = _cleared_choice() if kind in (CONTACT_OFFERED, CONTACT_DECLINED) else {}
        return {"appt_name": name, "appt_confirmed": None, **cleared}

    async def extract_appt_phone(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                 domain: DomainDict) -> Dict[Text, Any]:
        phone = phone_number(text_of(tracker))
        if not phone or phone == tracker.get_slot("appt_phone"):
            return {}
        if stored(tracker.get_slot("appt_phone")):  # a new phone for the reused contact: its name is
            return {"appt_phone": phone, "appt_name": None, "appt_confirmed": None}  # only known masked
        return {"appt_phone": phone, "appt_confirmed": None}

    async def extract_appt_confirmed(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                     domain: DomainDict) -> Dict[Text, Any]:
        if tracker.get_slot("requested_slot") != "appt_confirmed":
            return {}
        picked = _picked(tracker, "appt_confirmed")  # 1. 确认预约 2. 先不约了
        if picked is not None:
            return {"appt_confirmed": picked, **_cleared_choice()}
        answer = confirms_booking(text_of(tracker), intent_of(tracker))
        return {} if answer is None else {"appt_confirmed": answer}

    async def get_extraction_events(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                    domain: DomainDict) -> List[EventType]:
        """A message that changes a fact at the read-back is a correction, not a yes to the old one."""
        before = dict(tracker.slots)
        events = await super().get_extraction_events(dispatcher, tracker, domain)
        changed = any(e["name"] in FACT_SLOTS and e["value"] != before.get(e["name"]) for e in events)
        if changed and tracker.slots.get("appt_confirmed") is not None:
            tracker.slots["appt_confirmed"] = None
            events.append(SlotSet("appt_confirmed", None))
        return events

    # --- validation ---------------------------------------------------------------

    async def validate_appt_item(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                 domain: DomainDict) -> Dict[Text, Any]:
        if value is None:
            return {"appt_item": None}
        guide = await gov_api().guide(value)
        channel = guide["online"].get("channel") or "江州政务服务网"
        if not guide["bookable"]:
            dispatcher.utter_message(text=f"{guide['name']}可全程网上办理，无需到大厅，也就不用预约。办理渠道：{channel}。")
            return {"appt_item": None, "requested_slot": None}
        if guide["online"]["fully_online"] and value != tracker.get_slot("item_code"):
            dispatcher.utter_message(text=f"提示：{guide['name']}可全程网办（0次跑动），渠道：{channel}。"
                                          "如仍想到大厅办理，我们继续预约。")
        result = {"appt_item": value, "item_code": value, "item_name": guide["name"]}
        halls = [h["code"] for h in guide["halls"]]
        if tracker.get_slot("appt_hall") not in (None, ANY_HALL, *halls):
            result["appt_hall"] = None  # a new item drops a hall that does not serve it
        return result

    async def _as_given(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                        domain: DomainDict) -> Dict[Text, Any]:
        return {}  # checked together in ``get_validation_events`` (settle_time)

    validate_appt_hall = validate_appt_date = validate_appt_hour = validate_appt_confirmed = _as_given

    async def validate_appt_name(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                 domain: DomainDict) -> Dict[Text, Any]:
        return {"appt_name": value}

    async def validate_appt_phone(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                  domain: DomainDict) -> Dict[Text, Any]:
        return {"appt_phone": value}

    async def get_validation_events(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                    domain: DomainDict) -> List[EventType]:
        """After each slot's own check, the day, hour and hall are settled together, once."""
        changed = set(tracker.slots_to_validate())
        events = await super().get_validation_events(dispatcher, tracker, domain)
        if changed & TIME_SLOTS and tracker.slots.get("appt_item"):
            settled = await settle_time(dispatcher, tracker.slots)
            tracker.slots.update(settled)
            events += [SlotSet(name, value) for name, value in settled.items()]
        return events

    def answers_itself(self, tracker: Tracker) -> bool:
        """名字就不说了 at the name question is answered here (booking is by real name), not a way out."""
        return _refuses_name(tracker)

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        text = text_of(tracker)
        if _refuses_name(tracker):
            dispatcher.utter_message(text=REAL_NAME)
            return [SlotSet("appt_name", None)]  # a slot set: the form keeps going and asks the name again
        if tracker.get_slot("requested_slot") and wants_out(text):
            # "那就不约了吧" at any question ends the form without a booking, however NLU read it
            dispatcher.utter_message(response="utter_booking_stopped")
            return [*slots_reset(FORM_SLOTS), *CLEAR_CHOICE, SlotSet("appt_when", None),
                    SlotSet("requested_slot", None), ActiveLoop(None)]
        before = dict(tracker.slots)
        try:  # the unguarded run: a portal failure is answered here, keeping what the message gave
            events = await FormValidationAction.run(self, dispatcher, tracker, domain)
        except GovApiError:
            dispatcher.messages.clear()
            sorry_portal_down(dispatcher)
            return await self._kept_on_error(dispatcher, tracker, domain, before)
        # rasa-sdk returns only the form's own slots: keep what extraction set besides them.
        return events + [SlotSet(name, tracker.slots.get(name)) for name in HELPER_SLOTS
                         if tracker.slots.get(name) != before.get(name)] + _landline_given(dispatcher, tracker)


    async def _kept_on_error(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict,
                             before: Dict[str, Any]) -> List[EventType]:
        """After a portal failure: the name and phone the message gave (read without the portal),
        and everything collected before; the next message continues the form."""
        tracker.slots.clear()
        tracker.slots.update(before)
        kept: Dict[str, Any] = {}
        for slot in KEPT_ON_ERROR:
            found = await getattr(self, f"extract_{slot}")(CollectingDispatcher(), tracker, domain)
            kept.update({name: value for name, value in found.items() if name in KEPT_ON_ERROR})
        requested = before.get("requested_slot")
        if requested and requested not in kept:
            kept[requested] = before.get(requested)
        return [SlotSet(name, value) for name, value in kept.items()]


_ALL_HALLS = ("SMZX", "DCQ", "CRJ", "CGS", "GJJ")
REAL_NAME = "预约实行实名制：到大厅取号时要核对预约人的身份证，所以需要留预约人的真实姓名，只用于本次预约。"
LANDLINE = "您发的是座机号码，收不到预约的短信提醒。"


def _refuses_name(tracker: Tracker) -> bool:
    text = text_of(tracker)
    return (tracker.get_slot("requested_slot") == "appt_name" and declines_name(text)
            and said_name(text, True) is None)


def _landline_given(dispatcher: CollectingDispatcher, tracker: Tracker) -> List[EventType]:
    """A fixed-line number while no mobile is known: said to be one, and the mobile asked next."""
    asked = tracker.get_slot("requested_slot") in ("appt_name", "appt_phone")
    if not asked or tracker.slots.get("appt_phone") or landline(text_of(tracker)) is None:
        return []
    dispatcher.utter_message(text=LANDLINE)
    return [SlotSet("appt_phone", None), SlotSet("requested_slot", "appt_phone")]


def _is_other_fact(word: str) -> bool:
    """A word that is a hall, a service or a yes/no, not a name (东城 / 护照 / 好的; 车晓's 车 is a surname)."""
    given = word[1:] if word[0] in _SURNAMES else word
    return bool(hall_named(word, [{"code": c, "name": c} for c in _ALL_HALLS]) or doesnt_mind_hall(word)
                or names_service(given) or _NOT_NAME_WORDS.search(word) or confirms_booking(word, "") is not None)


async def settle_time(dispatcher: CollectingDispatcher, slots: Dict[str, Any]) -> Dict[str, Any]:
    """The hall, day and hour as far as they can be settled now (see ``booking_times``): the hall
    left to us and the hour of a part of day are chosen; a full or closed day is said at once,
    with its reason and the nearest free slots as a numbered list."""
    item, hall, day, hour, wish = (slots.get(s) for s in ("appt_item", "appt_hall", "appt_date", "appt_hour",
                                                          "appt_when"))
    if item is None:
        return {}
    halls = [h["code"] for h in (await gov_api().guide(item))["halls"]]
    result: Dict[str, Any] = {}
    if hall is None and len(halls) == 1:
        hall = ANY_HALL  # one hall serves the item: nothing to ask
    slots_free = await free_slots(item, hall)
    wanted = wish or ([int(hour), int(hour), int(hour) + 1] if hour is not None else None)
    if day is None:
        first = earliest(slots_free, None, wish) if hall == ANY_HALL else None
        return {"appt_hall": first["hall_code"]} if first else result
    fit = earliest(slots_free, day, wanted)
    if fit is None:
        return await _not_free(dispatcher, item, day, wanted, slots_free)
    if hall == ANY_HALL:
        result["appt_hall"] = fit["hall_code"]
    if wish and hall is not None:
        result.update({"appt_hour": float(fit["hour"]), "appt_when": None})
    elif wish:  # the hall is still to be chosen: the wish stays, to be re-checked in that hall
        result["appt_hour"] = float(fit["hour"])
    return result


async def _not_free(dispatcher: CollectingDispatcher, item: str, day: str, wanted: Optional[List[Any]],
                    slots_free: List[Dict[str, Any]]) -> Dict[str, Any]:
    """Says why the day (or its part) cannot be booked and offers the nearest free slots."""
    on_day = any(s["date"] == day for s in slots_free)
    reason = "已约满" if on_day else reason_text(await gov_api().booking_day(day, item))
    head = f"{wish_label(day, wanted) if on_day else day_label(day)}{reason}"
    text, options = alternatives_message(head, nearest(slots_free, day, wanted))
    dispatcher.utter_message(text=text)
    return {"appt_date": None, "appt_hour": None, "appt_when": None,
            "choice_kind": SLOT_CHOICE if options else None, "choice_options": options or None}


class ActionSubmitBooking(SafeAction):
    def name(self) -> Text:
        return "action_submit_booking"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict) -> List[EventType]:
        done = [*slots_reset(FORM_SLOTS), *CLEAR_CHOICE]
        if tracker.get_slot("appt_item") is None:  # the form stopped early (e.g. item is online-only)
            return done
        if not tracker.get_slot("appt_confirmed"):
            dispatcher.utter_message(text="好的，本次预约没有提交。需要时随时找我。")
            return done
        request = {
            "item_code": tracker.get_slot("appt_item"), "hall_code": tracker.get_slot("appt_hall"),
            "date": tracker.get_slot("appt_date"), "hour": int(tracker.get_slot("appt_hour")),
            **contact_fields(tracker.get_slot("appt_name"), tracker.get_slot("appt_phone")),
            "openid": tracker.sender_id, "channel": tracker.get_latest_input_channel(),
        }
        try:
            booking = await gov_api().book(request, _idempotency_key(request))
        except GovApiRefused as error:
            return self._refused(dispatcher, error)
        except GovApiUnavailable:  # everything is kept: "确认" again submits the same booking once
            sorry_portal_down(dispatcher)
            return [SlotSet("appt_confirmed", None), FollowupAction("appointment_form")]
        say(dispatcher, _confirmation(booking))
        return done

    def _refused(self, dispatcher: CollectingDispatcher, error: GovApiRefused) -> List[EventType]:
        if error.code == "slot_full":
            text, options = alternatives_message("抱歉，这个时段刚刚约满了", [
                {**a, "hall_code": a.get("hall_code")} for a in error.details.get("alternatives", [])])
            dispatcher.utter_message(text=text)
            return [SlotSet("appt_date", None), SlotSet("appt_hour", None), SlotSet("appt_confirmed", None),
                    SlotSet("choice_kind", SLOT_CHOICE if options else None),
                    SlotSet("choice_options", options or None), FollowupAction("appointment_form")]
        if error.code == "contact_handle_invalid":  # the stored contact expired: ask who comes again
            dispatcher.utter_message(text="上次登记的联系人信息已失效，需要重新确认预约人。")
            return [SlotSet("appt_name", None), SlotSet("appt_phone", None), SlotSet("appt_confirmed", None),
                    FollowupAction("appointment_form")]
        if error.code == "already_booked":
            dispatcher.utter_message(text="您当天已经预约过这个事项了（每人每天每项只能约一次）。回复“我的预约”可查看。")
        else:
            dispatcher.utter_message(text=f"预约没有成功：{error.message}。如需帮助请回复“转人工”。")
        return [*slots_reset(FORM_SLOTS), *CLEAR_CHOICE]


def _idempotency_key(request: Dict[str, Any]) -> str:
    """Same citizen, same booking: same key, so a repeated submission never books twice."""
    raw = "|".join(str(request[k]) for k in sorted(request))
    return hashlib.sha256(raw.encode()).hexdigest()[:40]


def _confirmation(booking: Dict[str, Any]) -> str:
    return (f"预约成功！预约号：{booking['booking_no']}\n"
            f"时间：{day_label(booking['date'])} {booking['time']}\n"
            f"地点：{booking['hall_name']} {booking['window']}（{booking['address']}）\n"
            f"{bring_line(booking)}\n"
            "请提前10分钟到达，凭预约号取号。如需取消，请至少提前2小时回复“取消预约”。")


# Listing and cancelling bookings live in actions/cancel.py; re-exported for older imports.
from actions.cancel import (  # noqa: E402,F401
    ActionCancelBooking,
    ActionListBookings,
    AskCancelBookingNo,
    AskCancelConfirmed,
    ValidateCancelForm,
)
