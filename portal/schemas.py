"""Request and data models: validation at the edge and the source of the OpenAPI document."""
from __future__ import annotations

import re
from datetime import date
from enum import Enum
from typing import List, Optional

from pydantic import BaseModel, Extra, Field, root_validator, validator

PHONE_PATTERN = r"^1[3-9]\d{9}$"
APPLICATION_ID_PATTERN = r"^SQ\d{14}$"


class Strict(BaseModel):
    class Config:
        extra = Extra.forbid
        anystr_strip_whitespace = True

    @validator("*", pre=True, each_item=True)
    def _no_nul_characters(cls, value: object) -> object:
        """PostgreSQL cannot store NUL in text: refuse it at the edge, on every database alike."""
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("text must not contain NUL characters")
        return value


# --- catalog ---------------------------------------------------------------

# Notes that say the window makes or takes the thing: the citizen must not be told to bring it.
WINDOW_MADE = ("窗口打印", "免填单打印", "现场填写", "窗口填写", "现场签署", "现场拍摄", "免费拍摄")


class Material(Strict):
    """One material; ``provided_at_window`` when it is printed, filled in, photographed or
    collected at the window (the citizen brings nothing for it), ``applies_to`` when only some
    applicants need it (未满十六周岁的申请人, 委托他人办理的)."""
    name: str
    form: str = Field(..., regex="^(原件|复印件|原件及复印件|电子版|现场采集)$")
    copies: int = Field(..., ge=0, le=20)
    note: Optional[str] = None
    provided_at_window: bool = False
    applies_to: Optional[str] = Field(None, min_length=2, max_length=40)

    @root_validator(skip_on_failure=True)
    def _window_facts_agree(cls, values: dict) -> dict:
        """The note and the flag say the same: a 现场采集 or 窗口打印 material is made at the window."""
        note = values.get("note") or ""
        made_there = (values["form"] == "现场采集"
                      or (values["form"] != "电子版" and any(w in note for w in WINDOW_MADE)))
        if made_there and not values["provided_at_window"]:
            raise ValueError(f"{values['name']}: made at the window (form or note) but provided_at_window is false")
        if values["provided_at_window"] and values["form"] == "电子版":
            raise ValueError(f"{values['name']}: an electronic material is not provided at the window")
        return values

    def must_bring(self) -> bool:
        """The citizen brings it to the hall: not made at the window, not shared electronically."""
        return not self.provided_at_window and self.form != "电子版"


class Fee(Strict):
    amount: float = Field(..., ge=0)
    note: str


_CHINESE_DAYS = re.compile(r"法定时限[^；，。]*?[0-9一二三四五六七八九十百]+(个工作日|日)")


class TimeLimit(Strict):
    """The statutory limit keeps the law's unit (六十日 are calendar days, not 60 working days);
    the promised limit (承诺时限) is in working days, 0 meaning 即办."""
    legal_days: int = Field(..., ge=0)
    legal_unit: str = Field(..., regex="^(日|工作日)$")
    promised_days: int = Field(..., ge=0)
    note: Optional[str] = None

    @root_validator(skip_on_failure=True)
    def _unit_matches_note(cls, values: dict) -> dict:
        said = _CHINESE_DAYS.search(values.get("note") or "")
        if said and ("工作日" if said.group(1) == "个工作日" else "日") != values["legal_unit"]:
            raise ValueError(f"legal_unit {values['legal_unit']} contradicts the note: {said.group(0)}")
        return values


class Online(Strict):
    available: bool
    channel: Optional[str] = None
    fully_online: bool


class ItemHall(Strict):
    hall: str
    window: str
    capacity_per_slot: int = Field(..., ge=1, le=100)


class Guide(Strict):
    code: str = Field(..., regex=r"^[A-Z]{2,4}-\d{4}$")
    name: str
    department: str
    category: str
    summary: str
    aliases: List[str]
    keywords: List[str]
    conditions: List[str]
    materials: List[Material]
    steps: List[str]
    fee: Fee
    time_limit: TimeLimit
    online: Online
    visits: int = Field(..., ge=0, le=1)
    halls: List[ItemHall]
    hotline: str
    legal_basis: Optional[str] = None


class Hall(Strict):
    code: str
    name: str
    address: str
    hours: List[str]
    hours_note: str
    phone: str

    @validator("hours", each_item=True)
    def _whole_hours(cls, value: str) -> str:
        if not re.fullmatch(r"([01]\d|2[0-3]):00-([01]\d|2[0-4]):00", value):
            raise ValueError("hours are whole-hour ranges like 09:00-12:00")
        return value

    def slot_hours(self) -> List[int]:
        """Start hours of the one-hour slots the hall offers."""
        starts: List[int] = []
        for span in self.hours:
            begin, end = (int(part[:2]) for part in span.split("-"))
            starts.extend(range(begin, end))
        return starts


# --- bookings ----------------------------------------------------------------

# The channel of the citizen's conversation (Rasa's input channel name: wechat, rest...): the portal's
# notifications for a booking or an application go back through that channel only.
CHANNEL_PATTERN = r"^[a-z][a-z0-9_-]{0,31}$"


class BookingRequest(Strict):
    """Who comes: ``name`` and ``phone``, or the ``contact_handle`` the contact endpoint gave
    for this ``openid`` (the bot then never holds the full phone of an earlier booking)."""
    item_code: str = Field(..., min_length=1, max_length=32)
    hall_code: str = Field(..., min_length=1, max_length=32)
    date: date
    hour: int = Field(..., ge=0, le=23)
    name: Optional[str] = Field(None, min_length=1, max_length=50)
    phone: Optional[str] = Field(None, regex=PHONE_PATTERN)
    contact_handle: Optional[str] = Field(None, min_length=16, max_length=64, regex=r"^[A-Za-z0-9_-]+$")
    openid: Optional[str] = Field(None, min_length=1, max_length=64)
    channel: Optional[str] = Field(None, regex=CHANNEL_PATTERN)

    @root_validator(skip_on_failure=True)
    def _one_contact(cls, values: dict) -> dict:
        person = values.get("name") is not None or values.get("phone") is not None
        if values.get("contact_handle") is not None:
            if person:
                raise ValueError("give name and phone, or contact_handle, not both")
            if values.get("openid") is None:
                raise ValueError("a contact_handle is valid only with the openid it was given for")
        elif values.get("name") is None or values.get("phone") is None:
            raise ValueError("give name and phone, or contact_handle")
        return values


class CancelRequest(Strict):
    """Who cancels: the WeChat openid that booked, or the phone given when booking."""
    openid: Optional[str] = Field(None, min_length=1, max_length=64)
    phone: Optional[str] = Field(None, regex=PHONE_PATTERN)

    @validator("phone", always=True)
    def _someone(cls, phone: Optional[str], values: dict) -> Optional[str]:
        if not phone and not values.get("openid"):
            raise ValueError("give openid or phone")
        return phone


class AttendanceMark(Strict):
    """Staff record whether the citizen came; a past booking never marked counts as a no-show."""
    attended: bool


# --- applications --------------------------------------------------------------

class ApplicationStatus(str, Enum):
    submitted = "已提交"
    accepted = "已受理"
    reviewing = "审核中"
    correction = "补正"
    completed = "办结"
    rejected = "不予受理"


class StatusQuery(Strict):
    """Verification for a status query: the phone's last 4 digits, or the whole phone (which
    must then match whole), or a bound openid.

    Who asks, for rate limiting, is the authenticated key plus this openid, never a field
    the client chooses.
    """
    phone_last4: Optional[str] = Field(None, regex=r"^\d{4}$")
    phone: Optional[str] = Field(None, regex=r"^1[3-9]\d{9}$")
    openid: Optional[str] = Field(None, min_length=1, max_length=64)
    channel: Optional[str] = Field(None, regex=CHANNEL_PATTERN)  # bound with the openid


class Correction(Strict):
    reason: str = Field(..., min_length=1, max_length=500)
    materials: List[str] = Field(..., min_items=1)


class StatusChange(Strict):
    status: ApplicationStatus
    department: str = Field(..., min_length=1, max_length=50)
    note: str = Field("", max_length=500)
    correction: Optional[Correction] = None

    @validator("correction", always=True)
    def _correction_for_buzheng(cls, correction: Optional[Correction], values: dict) -> Optional[Correction]:
        if values.get("status") == ApplicationStatus.correction and correction is None:
            raise ValueError("a 补正 step needs the reason and the materials to bring")
        return correction


# --- feedback --------------------------------------------------------------------

class RatingLevel(str, Enum):
    """GB/T 39735-2020 five-level 好差评."""
    very_satisfied = "非常满意"
    satisfied = "满意"
    fairly_satisfied = "基本满意"
    dissatisfied = "不满意"
    very_dissatisfied = "非常不满意"

    @property
    def score(self) -> int:
        return 5 - list(RatingLevel).index(self)


class EvaluationRequest(Strict):
    level: RatingLevel
    channel: str = Field("wechat", min_length=1, max_length=32)
    item_code: Optional[str] = Field(None, max_length=32)
    text: Optional[str] = Field(None, max_length=1000)
    openid: Optional[str] = Field(None, max_length=64)


class ComplaintRequest(Strict):
    text: str = Field(..., min_length=2, max_length=2000)
    contact: Optional[str] = Field(None, max_length=64)
    openid: Optional[str] = Field(None, max_length=64)
    item_code: Optional[str] = Field(None, max_length=32)
