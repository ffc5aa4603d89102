"""办事指南: find the item the citizen means and answer the aspect asked, item kept in context."""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.booking_facts import same_family, settle_candidates, tells_variant
from actions.common import CLEAR_CHOICE, entity, offer_choices, say, text_of
from actions.failsafe import SafeAction
from actions.gov_api import GovApiError, GovApiRefused, gov_api
from actions.task_words import switch_to_named_task
from actions.visit import planned_booking
from govbot.script import to_simplified

logger = logging.getLogger(__name__)
AMBIGUITY_RATIO = 0.8  # a runner-up this close to the best means "ask which one"
CONFIDENT_SCORE, CONFIDENT_LEAD = 10.0, 2.0  # an unclear message is about the best hit only this far ahead
ASPECTS = {  # aspect -> words that ask for it, in the order answers are given
    "conditions": ("条件", "能不能办", "能办吗", "可以办吗", "符合", "资格", "谁可以", "够不够"),
    "materials": ("材料", "带什么", "带啥", "要啥", "准备什么", "准备啥", "原件", "复印件", "资料", "证件",
                  "带哪些", "东西"),
    "steps": ("流程", "步骤", "怎么办", "咋办", "手续", "程序", "怎么弄", "怎么申请", "咋弄", "怎么搞"),
    "fee": ("钱", "费", "免费", "价格", "块"),
    "time_limit": ("多久", "几天", "多长时间", "时限", "多快", "要等", "什么时候能拿", "几个工作日"),
    "place": ("哪里", "哪儿", "在哪", "地点", "地址", "窗口", "去哪", "大厅", "哪个"),
    "hours": ("几点", "上班", "下班", "办公时间", "周末", "周六", "开门", "营业", "时间"),
    "phone": ("电话", "热线", "咨询"),
    "online": ("网上", "线上", "手机上", "网办", "不用去", "跑一趟", "跑几次", "要不要去", "app", "APP"),
    "proxy": ("代办", "代理", "委托", "代领", "代替", "别人帮", "家属帮", "家人帮", "本人去", "本人来", "本人到场",
              "亲自"),
}
# Words that ask about an aspect of *some* item; a message made only of these (and the
# filler below) names no item: 需要啥子材料, 要钱不, 几点下班, 能代办吗, 多久能拿到.
FOLLOW_UP_WORDS = ("材料", "钱", "收费", "费用", "多少钱", "时间", "几点", "下班", "上班", "地址", "在哪",
                   "代办", "多久", "几天", "网上办")
_FILLER = set("我你您他她要需想啥子什么哪些多少怎咋吗嘛么呢不没啊呀吧哈那这请问能可以会带的得地办个些还是有了就都给和"
              "去到拿一下哦噢嗯呗咧撒噻嘞儿里边")
# A question, not a statement: 要钱不, 收不收费, 几点, 在哪, 吗/么/呢, ?
_QUESTION = re.compile(r"[吗么嘛呢?？啥几哪咋怎]|什么|多少|多久|多长|不[了啦呀啊]?$|(.)不\1")

# What a citizen planning a visit may ask before coming (明天去办护照要带什么): answered, then booked.
_BEFORE_VISIT = ("conditions", "materials", "steps", "fee", "time_limit", "online", "proxy")
_ASPECT_WORDS = sorted({w for words in ASPECTS.values() for w in words} | set(FOLLOW_UP_WORDS), key=len, reverse=True)


@dataclass
class ItemSearch:
    code: Optional[str] = None
    candidates: List[Dict[str, Any]] = field(default_factory=list)


async def find_item(text: str) -> ItemSearch:
    """The one item ``text`` means, or the close candidates when it could be several."""
    hits = await gov_api().search_guides(to_simplified(text), limit=3)
    if not hits:
        return ItemSearch()
    close = [h for h in hits[1:] if h["score"] >= AMBIGUITY_RATIO * hits[0]["score"]]
    if close:
        return ItemSearch(candidates=[hits[0], *close])
    return ItemSearch(code=hits[0]["code"])


async def variant_of(text: str, known: str) -> Optional[str]:
    """The variant of the known item the words mean (卡坏了 换一张 after 社会保障卡申领 is 社会保障卡补换),
    or None: the best matches that the known item does not beat, of the same document."""
    if not tells_variant(text):
        return None
    name = (await gov_api().guide(known))["name"]
    hits = await gov_api().search_guides(to_simplified(text), limit=6)
    best = hits[0]["score"] if hits else 0
    for hit in hits:
        if hit["code"] == known or hit["score"] < AMBIGUITY_RATIO * best:
            return None
        if same_family(name, hit["name"]):
            return hit["code"]
    return None


async def pick_among(text: str, codes: List[str]) -> Optional[str]:
    """The offered item the words fit (丢了 要补办 to 补领 / 换领 / 首次申领), if one of the best
    matches is offered; another item named (我要办护照) is not one of them."""
    hits = await gov_api().search_guides(to_simplified(text), limit=10)
    close = [h for h in hits if h["score"] >= AMBIGUITY_RATIO * hits[0]["score"]] if hits else []
    return next((h["code"] for h in close if h["code"] in codes), None)


def asked_aspects(text: str) -> List[str]:
    text = to_simplified(text)
    return [aspect for aspect, words in ASPECTS.items() if any(w in text for w in words)]


def names_no_item(text: str) -> bool:
    """Only aspect words and filler (需要啥子材料): searching it would find a random item."""
    rest = to_simplified(text)
    for word in _ASPECT_WORDS:
        rest = rest.replace(word, "")
    return len([c for c in rest if "\u4e00" <= c <= "\u9fff" and c not in _FILLER]) < 2


def is_guide_follow_up(tracker: Tracker) -> bool:
    """A short question about an aspect of the item in context (要钱不, 收费不, 几点下班), whatever
    the intent: the NLU reads 要钱不 as ``deny``, but the citizen asks about the fee."""
    text = to_simplified(text_of(tracker)).strip()
    if not text or len(text) > 20 or not _QUESTION.search(text):
        return False
    return any(w in text for w in FOLLOW_UP_WORDS) and names_no_item(text)


def item_in_context(tracker: Tracker) -> Optional[str]:
    """The last item the conversation was about: the guide answered, else the item being booked."""
    return tracker.get_slot("item_code") or tracker.get_slot("appt_item")


def describe(guide: Dict[str, Any], aspects: List[str]) -> str:
    """The answer: the aspects asked, or a summary with the most useful facts first."""
    parts = [f"【{guide['name']}】"]
    for aspect in aspects or ["summary"]:
        parts.append(_RENDER[aspect](guide))
    if not aspects:
        parts.append("想了解详情可回复：材料、流程、费用、时限、地点、条件。")
    return "\n".join(parts)


def _material_line(m: Dict[str, Any]) -> str:
    copies = f"，{m['copies']}份" if m.get("copies") else ""
    note = f"（{m['note']}）" if m.get("note") else ""
    return f"{m['name']}：{m['form']}{copies}{note}"


def _materials(guide: Dict[str, Any]) -> str:
    """Three groups, as the catalog says them: what everyone brings, what only some applicants
    bring (and who), what the window prints, fills in or collects (nothing to bring)."""
    materials = guide["materials"]
    at_window = [m for m in materials if m.get("provided_at_window")]
    everyone = [m for m in materials if not m.get("provided_at_window") and not m.get("applies_to")]
    some = [m for m in materials if not m.get("provided_at_window") and m.get("applies_to")]
    lines = ["需带材料："] if everyone or some else ["无需自带材料。"]
    lines += [f"{n}. {_material_line(m)}" for n, m in enumerate(everyone, start=1)]
    also = "另需" if everyone else "需"
    lines += [f"· {m['applies_to']}{also}：{_material_line(m)}" for m in some]
    if at_window:
        lines.append("现场提供/窗口打印（无需自带）：" + "、".join(m["name"] for m in at_window))
    return "\n".join(lines)


def _bring_names(bring: List[Dict[str, Any]]) -> str:
    """居民户口簿原件、… ；未满十六周岁的申请人另需：监护人居民身份证原件"""
    def named(m: Dict[str, Any]) -> str:
        return m["name"] + (m["form"] if m["form"] in ("原件", "复印件", "原件及复印件") else "")
    parts = ["、".join(named(m) for m in bring if not m.get("applies_to"))]
    also = "另需" if parts[0] else "需"
    parts += [f"{m['applies_to']}{also}：{named(m)}" for m in bring if m.get("applies_to")]
    return "；".join(p for p in parts if p)


def bring_line(booking: Dict[str, Any]) -> str:
    """The booking confirmation's line: what the citizen must bring (the portal's ``bring``),
    never what the window prints or collects."""
    bring = booking.get("bring") or []
    return f"请带好：{_bring_names(bring)}" if bring else "无需自带材料"


def _steps(guide: Dict[str, Any]) -> str:
    return "办理流程：\n" + "\n".join(f"{n}. {s}" for n, s in enumerate(guide["steps"], start=1))


def _fee(guide: Dict[str, Any]) -> str:
    amount = guide["fee"]["amount"]
    head = "不收费" if not amount else f"{amount:g}元"
    return f"费用：{head}。{guide['fee']['note']}"


def _time_limit(guide: Dict[str, Any]) -> str:
    """The promised limit in working days, the statutory one in the law's own unit (日 or 工作日)."""
    limit = guide["time_limit"]
    promised = "即办" if limit["promised_days"] == 0 else f"{limit['promised_days']}个工作日"
    unit = "个工作日" if limit.get("legal_unit", "工作日") == "工作日" else "日"
    note = f"（{limit['note']}）" if limit.get("note") else ""
    return f"办理时限：承诺{promised}，法定{limit['legal_days']}{unit}{note}。"


def _place(guide: Dict[str, Any]) -> str:
    if not guide["halls"]:
        return "办理地点：全程网上办理，无需到现场。"
    lines = [f"{h['name']} {h['window']}，地址：{h['address']}" for h in guide["halls"]]
    return "办理地点：\n" + "\n".join(lines)


def _hours(guide: Dict[str, Any]) -> str:
    lines = [f"{h['name']}：{h['hours_note']}" for h in guide["halls"]]
    return "办公时间：\n" + "\n".join(lines) if lines else "可全天在网上办理。"


def _phone(guide: Dict[str, Any]) -> str:
    return f"咨询电话：{guide['hotline']}"


def _conditions(guide: Dict[str, Any]) -> str:
    return "办理条件：\n" + "\n".join(f"{n}. {c}" for n, c in enumerate(guide["conditions"], start=1))


def _online(guide: Dict[str, Any]) -> str:
    online = guide["online"]
    if online["fully_online"]:
        return f"可全程网办，不用跑腿（0次）：{online.get('channel') or '江州政务服务网'}。"
    start = f"可在{online['channel']}网上申请，" if online["available"] and online.get("channel") else ""
    return f"{start}需到现场{guide['visits']}次（最多跑一次）。"


def _proxy(guide: Dict[str, Any]) -> str:
    """Whether someone else may come: the conditions about who must be present, and what an
    agent brings (the materials that apply to 委托/代办)."""
    words = ("本人", "代办", "代为", "代理", "代领", "委托", "监护人", "到场")
    lines = [c for c in guide["conditions"] if any(w in c for w in words)]
    lines += [f"{m['applies_to']}需：{m['name']}" for m in guide["materials"]
              if any(w in (m.get("applies_to") or "") for w in ("代", "委托"))]
    if not lines:
        return f"能否代办：办事指南对代办没有规定，请致电{guide['hotline']}确认。"
    return "能否代办：\n" + "\n".join(lines)


def _summary(guide: Dict[str, Any]) -> str:
    bring = guide.get("bring", [])
    must = [m["name"] for m in bring if not m.get("applies_to")]
    names = "、".join(must[:4]) or ("视情形而定（回复“材料”查看）" if bring else "无需自带材料")
    more = "等" if must and len(must) < len(bring) or len(must) > 4 else ""
    place = f"{guide['halls'][0]['name']} {guide['halls'][0]['window']}" if guide["halls"] else "网上办理"
    return "\n".join([guide["summary"], f"需带：{names}{more}", f"地点：{place}", _fee(guide).split("。")[0] + "。",
                      _time_limit(guide), _online(guide)])


_RENDER = {"materials": _materials, "steps": _steps, "fee": _fee, "time_limit": _time_limit, "place": _place,
           "hours": _hours, "phone": _phone, "conditions": _conditions, "online": _online, "proxy": _proxy,
           "summary": _summary}


async def answer_item(dispatcher: CollectingDispatcher, code: str, aspects: List[str]) -> List[EventType]:
    """Answers about ``code``, keeps it in context and offers booking where a visit is needed."""
    guide = await gov_api().guide(code)
    say(dispatcher, describe(guide, aspects))
    events: List[EventType] = [SlotSet("item_code", code), SlotSet("item_name", guide["name"]), *CLEAR_CHOICE]
    if guide["bookable"] and guide["visits"] >= 1:
        dispatcher.utter_message(text="需要帮您预约到大厅办理吗？回复“好”即可预约。")
        events += [SlotSet("choice_kind", "offer_booking"), SlotSet("choice_options", [code])]
    return events


def offered_item(tracker: Tracker) -> Optional[str]:
    """The first (best-matching) item of the "which one?" list the bot offered last, if any."""
    kind, options = tracker.get_slot("choice_kind"), tracker.get_slot("choice_options") or []
    return options[0] if kind == "item" and options else None


async def answer_listed(dispatcher: CollectingDispatcher, code: str, aspects: List[str]) -> List[EventType]:
    """A follow-up (要钱不) to a list of items: answered for the best match, the others still a reply away."""
    dispatcher.utter_message(text="先按列表里的第一项为您解答；如果要办的是其他事项，请直接告诉我。")
    return await answer_item(dispatcher, code, aspects)


async def confident_item(text: str) -> Optional[str]:
    """The one item a long or unclear message is plainly about (养老保险 in an elderly citizen's
    story), or None: only when the search finds one item far ahead of any other."""
    if names_no_item(text):
        return None
    hits = await gov_api().search_guides(to_simplified(text), limit=2)
    if not hits or hits[0]["score"] < CONFIDENT_SCORE:
        return None
    if len(hits) > 1 and hits[1]["score"] * CONFIDENT_LEAD > hits[0]["score"]:
        return None
    return hits[0]["code"]


class ActionAnswerGuide(SafeAction):
    def name(self) -> Text:
        return "action_answer_guide"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict) -> List[EventType]:
        text = to_simplified(text_of(tracker))
        switch = None if tracker.active_loop.get("name") else switch_to_named_task(text)
        if switch:  # 投诉车管所 read as a guide question: the citizen complains
            return switch
        booking = planned_booking(tracker)  # 周五下午去车管所补驾照: a visit, not a question
        if booking is not None:
            return await _answer_before_visit(dispatcher, text) + booking
        context, named = item_in_context(tracker), entity(tracker, "service_item")
        bare = text.startswith("/") or names_no_item(text)  # a menu click, or 需要啥子材料 / 要钱不
        listed = offered_item(tracker) if bare and not named and not context else None
        if bare and not named and not context and not listed:
            dispatcher.utter_message(response="utter_ask_which_item")
            return []
        try:
            if listed:  # 要钱不 right after "which one?": the best match of that list
                return await answer_listed(dispatcher, listed, asked_aspects(text))
            if bare and not named and context:
                return await answer_item(dispatcher, context, asked_aspects(text))
            found = await find_item(named if bare and named else text)
            codes = [found.code] if found.code else [c["code"] for c in found.candidates]
            if context and (context in codes or not codes):  # the words fit the item in context
                return await answer_item(dispatcher, context, asked_aspects(text))
            variant = await _variant_among(found, context, text)
            if variant:  # 到期了要换 after 机动车驾驶证补证: its 期满换证, not 居民身份证换领
                return await answer_item(dispatcher, variant, asked_aspects(text))
            if found.candidates:
                return offer_choices(dispatcher, "您想了解的是哪一项？",
                                     [c["name"] for c in found.candidates], "item", codes)
            if found.code:
                return await answer_item(dispatcher, found.code, asked_aspects(text))
        except GovApiRefused as error:  # e.g. an item withdrawn since it was found; an outage is FailSafe's
            logger.warning("guide lookup refused: %s", error.code)
        dispatcher.utter_message(response="utter_item_not_found")
        return []


async def _variant_among(found: ItemSearch, context: Optional[str], text: str) -> Optional[str]:
    """Among close candidates, the variant of the item in context the words ask for."""
    if not (context and found.candidates and tells_variant(text)):
        return None
    name = (await gov_api().guide(context))["name"]
    return next((c["code"] for c in found.candidates if same_family(name, c["name"])), None)


async def _answer_before_visit(dispatcher: CollectingDispatcher, text: str) -> List[EventType]:
    """What a message planning a visit also asks (明天去办护照要带什么), answered before the booking
    form starts; nothing when it asks nothing or the item is unclear (the form then asks)."""
    aspects = [a for a in asked_aspects(text) if a in _BEFORE_VISIT] if _QUESTION.search(text) else []
    if not aspects:
        return []
    try:
        found = await find_item(text)
        code = found.code or settle_candidates(text, [c["code"] for c in found.candidates])
        if code:
            say(dispatcher, describe(await gov_api().guide(code), aspects))
    except GovApiError:  # the form will say the portal is down if it still is
        logger.info("guide before a planned visit not available")
    return []
