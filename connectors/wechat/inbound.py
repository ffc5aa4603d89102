"""把微信推送的各类消息与事件变成一轮对话要做的事：发给助手的文字，或连接器自己的答复。

- 普通消息（文本、图片、语音、视频、小视频、地理位置、链接）：
  https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Receiving_standard_messages.html
- 语音识别结果（``Recognition`` 字段）：
  https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Receiving_standard_messages.html#%E8%AF%AD%E9%9F%B3%E6%B6%88%E6%81%AF
- 事件推送（关注 / 取消关注、扫描带参数二维码、自定义菜单 CLICK / VIEW）：
  https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Receiving_event_pushes.html
- 排重：有 MsgId 的消息用 MsgId，事件用 FromUserName + CreateTime（此处再加上事件类型与 EventKey，
  同一秒里点了两个不同菜单不会被当成重试；重试的这些字段完全相同）。

消息对象由 wechatpy 自己的 ``parse_message`` 分派构造（字段名与类型以它为准）；XML 已先经 defusedxml 安全解析。
``sender_id`` 一律用 openid，表单与会话因此跨消息延续。
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any, Dict, FrozenSet, Optional
from xml.parsers.expat import ExpatError  # nosec B407  # an exception class; the XML was opened by defusedxml

from wechatpy.fields import BaseField
from wechatpy.messages import BaseMessage
from wechatpy.parser import parse_message

from connectors.wechat.envelope import MalformedMessageError, Push
from connectors.wechat.menu import Menu
from connectors.wechat.signing import is_ascii_number

ASK_TO_TYPE = "抱歉，这条语音我没能听清。麻烦您打字告诉我想办的事，比如“补办身份证要带什么材料”。"
CAPABILITIES = ("我目前只能看懂文字和语音。我可以帮您查办事指南、预约到大厅办理、查询办件进度，"
                "也可以为您转人工服务。请直接用文字告诉我您要办的事，比如“补办身份证要带什么材料”。")
EMPTY_TEXT = "请问有什么可以帮您？可以直接告诉我您要办的事。"
UNKNOWN_MENU = "这个菜单暂时没有内容。"
TOO_LONG = "您发送的内容太长了，请简要描述您要办理的事项。"
# Fields the connector itself reads as text; wechatpy's message class adds the ones it converts.
_TEXT_FIELDS = frozenset({"ToUserName", "FromUserName", "CreateTime", "MsgType", "MsgId", "Event", "EventKey"})

MESSAGE_WINDOW = "message"  # a user message opens 48 h for 5 customer-service messages
EVENT_WINDOW = "event"  # a click, follow or scan opens 1 min for 3


@dataclass(frozen=True)
class Inbound:
    """One push from WeChat, decided: ``text`` for the assistant, or the connector's own ``reply``."""
    openid: str
    account: str  # ToUserName: our account's original id, the sender of passive replies
    key: str  # dedup key
    kind: str  # "text", "voice", "event.click", ...
    text: Optional[str] = None  # what the assistant receives; None: no assistant turn
    reply: Optional[str] = None  # the connector's own answer when there is no turn
    window: Optional[str] = None  # customer-service window this push opens
    welcome: bool = False  # show the numbered welcome menu and remember its choices
    media_id: Optional[str] = None  # WeChat's id of a picture, voice or video (for staff)
    metadata: Dict[str, Any] = field(default_factory=dict)


def to_message(fields: Dict[str, Any], xml: str) -> BaseMessage:
    """wechatpy's own message or event object for the push (``wechatpy.parser.parse_message``, its
    dispatch by MsgType and Event). The XML was already opened safely by defusedxml (no DTD, no
    entities), and the fields its dispatch reads were checked to be text, so it cannot trip on them."""
    _require_text(fields, _TEXT_FIELDS)
    try:
        message = parse_message(xml)
    except (ExpatError, KeyError, TypeError, AttributeError, ValueError) as error:
        raise MalformedMessageError(f"not a WeChat message: {type(error).__name__}") from None
    _require_text(fields, _structured_fields_of(type(message)))
    return message


class ForeignAccountError(Exception):
    """The push names another official account in ``ToUserName``: refused (HTTP 403)."""


def classify(push: Push, menu: Menu, *, max_text_chars: int, account_id: Optional[str] = None) -> Inbound:
    """Decides what one push means; raises :class:`MalformedMessageError` when it is not a
    message, :class:`ForeignAccountError` when ``account_id`` is given and not its ``ToUserName``.
    A text longer than ``max_text_chars`` (``WeChatSettings.max_content_chars``) is answered
    :data:`TOO_LONG` by the connector."""
    fields: Dict[str, Any] = dict(push.fields)
    message = to_message(fields, push.xml)
    openid, account = fields.get("FromUserName"), fields.get("ToUserName")
    msg_type = str(fields.get("MsgType") or "").lower()
    create_time = str(fields.get("CreateTime") or "")
    if not openid or not account or not msg_type:
        raise MalformedMessageError("FromUserName, ToUserName and MsgType are required")
    if account_id and account != account_id:
        raise ForeignAccountError("ToUserName is not this official account")
    if not is_ascii_number(create_time, 12):
        raise MalformedMessageError("CreateTime must be digits")
    event = str(fields.get("Event") or "").lower() if msg_type == "event" else ""
    msg_id = str(fields.get("MsgId") or "")
    event_key = str(fields.get("EventKey") or "") if msg_type == "event" else ""
    key = (msg_id if is_ascii_number(msg_id, 20) and msg_id.strip("0")
           else _event_key(openid, create_time, event or msg_type, event_key))
    base = dict(openid=openid, account=account, key=key,
                metadata={"wechat": {"msg_type": msg_type, "event": event or None,
                                     "msg_id": msg_id or None, "create_time": int(create_time)}})

    if msg_type == "text":
        content = (getattr(message, "content", None) or "").strip()
        return Inbound(kind="text", window=MESSAGE_WINDOW, **base,
                       **_for_assistant(content, EMPTY_TEXT, max_text_chars))
    if msg_type == "voice":
        recognition = (getattr(message, "recognition", None) or "").strip()
        return Inbound(kind="voice", window=MESSAGE_WINDOW, media_id=_media_id(message), **base,
                       **_for_assistant(recognition, ASK_TO_TYPE, max_text_chars))
    if msg_type != "event":  # image, location, link, video, shortvideo, file, ...
        return Inbound(kind=msg_type, reply=CAPABILITIES, window=MESSAGE_WINDOW, media_id=_media_id(message), **base)
    return _event(event, message, menu, base)


def _media_id(message: BaseMessage) -> Optional[str]:
    media_id = getattr(message, "media_id", None)
    return media_id if isinstance(media_id, str) and media_id else None


def _require_text(fields: Dict[str, Any], names: FrozenSet[str]) -> None:
    """Elements nested where text is expected make the push malformed (400), instead of reaching
    code that calls ``.strip()`` on a dict (repeated top-level fields ``parse_xml`` refuses)."""
    for name in names:
        if not isinstance(fields.get(name, ""), str):
            raise MalformedMessageError(f"<{name}> must be text")


def _structured_fields_of(message_class: type) -> FrozenSet[str]:
    """The fields wechatpy converts for this message type, but for those it declares as structured
    (plain ``BaseField``: ``ScanCodeInfo``, ``SendPicsInfo``…), which real events send nested;
    fields nobody reads may stay nested too."""
    return frozenset(field.name for field in getattr(message_class, "_fields", {}).values()
                     if type(field) is not BaseField)


def _for_assistant(text: str, if_empty: str, max_chars: int) -> Dict[str, Any]:
    """What a citizen's text becomes: the assistant's input, or the connector's own answer when
    it is empty or too long to be a request (refused here, before any NLU work)."""
    if not text:
        return {"reply": if_empty}
    if len(text) > max_chars:
        return {"reply": TOO_LONG}
    return {"text": text}


def _event_key(*parts: str) -> str:
    """Dedup key of a push without MsgId; hashed, so that logs naming the key show no openid."""
    return "e" + hashlib.sha1("\x1f".join(parts).encode("utf-8"), usedforsecurity=False).hexdigest()[:24]


def _event(event: str, message: BaseMessage, menu: Menu, base: Dict[str, Any]) -> Inbound:
    kind = f"event.{event}"
    if event in ("subscribe", "subscribe_scan", "scan"):
        scene = str(getattr(message, "scene_id", "") or "")
        payload = menu.payload_for_scene(scene) if scene else None
        if payload:
            return Inbound(kind=kind, text=payload, window=EVENT_WINDOW, **base)
        return Inbound(kind=kind, reply=menu.welcome_text(), window=EVENT_WINDOW, welcome=True, **base)
    if event == "click":
        payload = menu.payload_for_key(str(getattr(message, "key", "") or ""))
        if payload:
            return Inbound(kind=kind, text=payload, window=EVENT_WINDOW, **base)
        return Inbound(kind=kind, reply=UNKNOWN_MENU + menu.welcome_text(), window=EVENT_WINDOW,
                       welcome=True, **base)
    # unsubscribe (nobody to answer), VIEW (the user is opening a page), location reports,
    # template/mass-send job reports and the like: acknowledged, nothing to say.
    return Inbound(kind=kind, **base)
