"""自定义菜单与关注欢迎语：菜单保存在 ``menu.yml``，点击事件按 key 映射为发给助手的 payload。

- 创建接口：https://developers.weixin.qq.com/doc/offiaccount/Custom_Menus/Creating_Custom-Defined_Menu.html
- 查询接口：https://developers.weixin.qq.com/doc/offiaccount/Custom_Menus/Getting_Custom_Menu_Configurations.html
- 菜单事件推送（CLICK / VIEW）：
  https://developers.weixin.qq.com/doc/offiaccount/Custom_Menus/Custom_Menu_Push_Events.html

One YAML file keeps what WeChat shows and what a click means together, so a renamed button
cannot silently point at nothing; :meth:`Menu.validate` applies WeChat's limits before a push.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import yaml

MENU_FILE = Path(__file__).with_name("menu.yml")
_TOP_BYTES, _SUB_BYTES, _KEY_BYTES, _URL_BYTES = 16, 60, 128, 1024


class MenuError(ValueError):
    """``menu.yml`` breaks one of WeChat's menu rules."""


@dataclass(frozen=True)
class Menu:
    buttons: List[Dict[str, Any]]
    welcome_intro: str
    welcome_outro: str
    choices: List[Tuple[str, str]]  # (label, payload), shown numbered after a follow
    scenes: Dict[str, str]

    @classmethod
    def load(cls, path: Path = MENU_FILE) -> "Menu":
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        welcome = data.get("welcome") or {}
        menu = cls(
            buttons=list(data.get("buttons") or []),
            welcome_intro=str(welcome.get("intro", "")).strip(),
            welcome_outro=str(welcome.get("outro", "")).strip(),
            choices=[(str(c["label"]), str(c["payload"])) for c in welcome.get("choices") or []],
            scenes={str(k): str(v) for k, v in (data.get("scenes") or {}).items()},
        )
        menu.validate()
        return menu

    def welcome_text(self) -> str:
        lines = [self.welcome_intro] + [f"{i}. {label}" for i, (label, _) in enumerate(self.choices, 1)]
        return "\n".join(filter(None, lines + [self.welcome_outro]))

    def welcome_payloads(self) -> List[str]:
        return [payload for _, payload in self.choices]

    def payload_for_key(self, key: str) -> Optional[str]:
        for button in self._leaves():
            if button.get("key") == key:
                return str(button.get("payload") or button.get("name"))
        return None

    def payload_for_scene(self, scene: str) -> Optional[str]:
        return self.scenes.get(scene)

    def to_wechat(self) -> Dict[str, Any]:
        """The body of ``menu/create``: our ``payload`` fields stay here."""
        def strip(button: Dict[str, Any]) -> Dict[str, Any]:
            result = {k: v for k, v in button.items() if k not in ("payload", "sub_button")}
            if button.get("sub_button"):
                result["sub_button"] = [strip(sub) for sub in button["sub_button"]]
            return result
        return {"button": [strip(button) for button in self.buttons]}

    def validate(self) -> None:
        if not 1 <= len(self.buttons) <= 3:
            raise MenuError("a menu has 1 to 3 top buttons")
        for button in self.buttons:
            _check_name(button, _TOP_BYTES)
            subs = button.get("sub_button") or []
            if len(subs) > 5:
                raise MenuError(f"'{button['name']}' has more than 5 sub-buttons")
            if not subs:
                _check_action(button)
            for sub in subs:
                _check_name(sub, _SUB_BYTES)
                _check_action(sub)
        keys = [b["key"] for b in self._leaves() if b.get("key")]
        if len(keys) != len(set(keys)):
            raise MenuError("menu keys must be unique")

    def _leaves(self) -> List[Dict[str, Any]]:
        leaves: List[Dict[str, Any]] = []
        for button in self.buttons:
            leaves.extend(button.get("sub_button") or [button])
        return leaves


def _check_name(button: Dict[str, Any], limit: int) -> None:
    name = str(button.get("name") or "")
    if not name or len(name.encode("utf-8")) > limit:
        raise MenuError(f"button name {name!r} must be 1 to {limit} bytes")


def _check_action(button: Dict[str, Any]) -> None:
    kind = button.get("type")
    if kind == "click":
        key = str(button.get("key") or "")
        if not key or len(key.encode("utf-8")) > _KEY_BYTES:
            raise MenuError(f"click button {button['name']!r} needs a key of at most {_KEY_BYTES} bytes")
    elif kind == "view":
        url = str(button.get("url") or "")
        if not url.startswith(("http://", "https://")) or len(url.encode("utf-8")) > _URL_BYTES:
            raise MenuError(f"view button {button['name']!r} needs an http(s) url")
    elif kind not in ("miniprogram", "scancode_push", "scancode_waitmsg", "pic_sysphoto",
                      "pic_photo_or_album", "pic_weixin", "location_select", "article_id", "article_view_limited"):
        raise MenuError(f"button {button.get('name')!r} has unknown type {kind!r}")
