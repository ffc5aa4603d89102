"""模板消息：预约成功、预约前一天提醒、办件状态变更。

发送接口：https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Template_Message_Interface.html
2023 年起模板消息的 thing 等字段最多 20 个字符（phrase 最多 5 个），超出会被拒绝（47003），
所以每个字段都在这里截断到上限以内，末尾用“…”表示截断。

Which template and which fields are in ``templates.yml``; template ids can be overridden by
``WECHAT_TEMPLATE_<NAME>`` so each deployment uses its own console's ids.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Dict, Mapping, Optional

import yaml

from connectors.wechat.api import WeChatClient

TEMPLATES_FILE = Path(__file__).with_name("templates.yml")
FIELD_LIMIT = 20
_TYPE_LIMITS = {"phrase": 5, "character_string": 20, "thing": 20, "name": 10, "car_number": 8}


def clip(value: str, limit: int = FIELD_LIMIT) -> str:
    value = " ".join(str(value).split())
    return value if len(value) <= limit else value[:limit - 1] + "…"


def field_limit(field_name: str) -> int:
    kind = field_name.rstrip("0123456789")
    return min(_TYPE_LIMITS.get(kind, FIELD_LIMIT), FIELD_LIMIT)


def short_time(value: Any) -> str:
    """``2026-11-25T10:00:00+08:00`` → ``2026-11-25 10:00`` (the template ``time`` format)."""
    if not value:
        return ""
    try:
        return datetime.fromisoformat(str(value)).strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return str(value)


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return ""


@dataclass(frozen=True)
class Template:
    name: str
    template_id: str
    fields: Dict[str, str]

    def render(self, values: Mapping[str, Any]) -> Dict[str, Dict[str, str]]:
        """``data`` of the template API: each field formatted, then cut to its limit."""
        known = _Blank({k: "" if v is None else v for k, v in values.items()})
        data = {}
        for field_name, pattern in self.fields.items():
            text = str(pattern).format_map(known).strip() or "-"
            data[field_name] = {"value": clip(text, field_limit(field_name))}
        return data


class Templates:
    def __init__(self, templates: Dict[str, Template]):
        self._templates = templates

    @classmethod
    def load(cls, path: Path = TEMPLATES_FILE, template_ids: Optional[Mapping[str, str]] = None) -> "Templates":
        """The templates of ``path``, each with the account's own id from ``template_ids``
        (``WeChatSettings.template_ids``) where one is set, else the file's demo id."""
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        templates = {}
        for name, spec in data.items():
            template_id = (template_ids or {}).get(name) or str(spec["template_id"])
            templates[name] = Template(name, template_id, {str(k): str(v) for k, v in spec["fields"].items()})
        return cls(templates)

    def __getitem__(self, name: str) -> Template:
        return self._templates[name]

    async def send(self, client: WeChatClient, name: str, openid: str, values: Mapping[str, Any],
                   url: Optional[str] = None) -> Optional[int]:
        template = self._templates[name]
        return await client.send_template(openid, template.template_id, template.render(values), url)

    async def booking_confirmed(self, client: WeChatClient, openid: str, booking: Mapping[str, Any]) -> Optional[int]:
        """预约成功通知（portal 的预约记录：item_name, hall_name, date, time, booking_no）。"""
        return await self.send(client, "booking_confirmed", openid, _booking_values(booking))

    async def booking_reminder(self, client: WeChatClient, openid: str, booking: Mapping[str, Any]) -> Optional[int]:
        """预约前一天的提醒。"""
        return await self.send(client, "booking_reminder", openid, _booking_values(booking))

    async def status_changed(self, client: WeChatClient, openid: str, event: Mapping[str, Any]) -> Optional[int]:
        """办件状态变更通知（portal 的 ``application.status_changed`` 事件）。"""
        current = event.get("current") or {}
        values = {**event, "at": short_time(current.get("at") or event.get("at")),
                  "department": current.get("department") or ""}
        return await self.send(client, "status_changed", openid, values)


def _booking_values(booking: Mapping[str, Any]) -> Dict[str, Any]:
    start = str(booking.get("time") or "")[:5]
    return {**booking, "when": f"{booking.get('date', '')} {start}".strip()}
