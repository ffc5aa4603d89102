"""Rasa output channels for WeChat: one that collects a turn, one that pushes at any time.

WeChat text has no buttons, so buttons become a numbered list and the numbers are kept,
so that a reply "2" means the second button's payload. Text is kept whole (Rasa's default
collector cuts at blank lines, which would spend the customer-service quota on fragments)
and split only where WeChat's 2,048-byte limit requires (``text.split_text``).
"""
from __future__ import annotations

import json
import logging
from typing import Any, Awaitable, Callable, Dict, Iterable, List, Optional

from rasa.core.channels.channel import OutputChannel

from connectors.wechat.text import split_text

logger = logging.getLogger(__name__)


class TurnCollector(OutputChannel):
    """Collects the bot messages of one turn as WeChat texts."""

    def __init__(self) -> None:
        self.texts: List[str] = []
        self.choices: List[str] = []  # payloads of the last numbered buttons

    @classmethod
    def name(cls) -> str:
        return "wechat"

    def parts(self) -> List[str]:
        return [part for text in self.texts for part in split_text(text)]

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        if text and text.strip():
            self.texts.append(text.strip())

    async def send_text_with_buttons(self, recipient_id: str, text: str, buttons: List[Dict[str, Any]],
                                     **kwargs: Any) -> None:
        lines = [text.strip()] if text else []
        lines += [f"{i}. {button.get('title', '')}" for i, button in enumerate(buttons, 1)]
        self.texts.append("\n".join(lines))
        self.choices = [str(button.get("payload") or button.get("title") or "") for button in buttons]

    async def send_quick_replies(self, recipient_id: str, text: str, quick_replies: List[Dict[str, Any]],
                                 **kwargs: Any) -> None:
        await self.send_text_with_buttons(recipient_id, text, quick_replies)

    async def send_image_url(self, recipient_id: str, image: str, **kwargs: Any) -> None:
        self.texts.append(f"图片：{image}")

    async def send_attachment(self, recipient_id: str, attachment: Any, **kwargs: Any) -> None:
        self.texts.append(f"附件：{attachment}")

    async def send_elements(self, recipient_id: str, elements: Iterable[Dict[str, Any]], **kwargs: Any) -> None:
        for element in elements:
            title = " ".join(filter(None, [element.get("title"), element.get("subtitle")]))
            await self.send_text_with_buttons(recipient_id, title, element.get("buttons") or [])

    async def send_custom_json(self, recipient_id: str, json_message: Dict[str, Any], **kwargs: Any) -> None:
        text = json_message.get("text") if isinstance(json_message, dict) else None
        if isinstance(text, str):
            await self.send_text_message(recipient_id, text)
        else:
            logger.debug("custom message without 'text' not shown on WeChat: %s",
                         json.dumps(json_message, ensure_ascii=False)[:200])


class CustomerServiceOutput(TurnCollector):
    """Sends each message at once through the customer-service API (outside a user's turn):
    Rasa's ``trigger_intent``, reminders, and staff replies from the coming console."""

    def __init__(self, send: Callable[[str, List[str]], Awaitable[int]]) -> None:
        super().__init__()
        self._send = send

    async def _flush(self, recipient_id: str) -> None:
        texts, self.texts = self.parts(), []
        if texts:
            await self._send(recipient_id, texts)

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        await super().send_text_message(recipient_id, text)
        await self._flush(recipient_id)

    async def send_text_with_buttons(self, recipient_id: str, text: str, buttons: List[Dict[str, Any]],
                                     **kwargs: Any) -> None:
        await super().send_text_with_buttons(recipient_id, text, buttons)
        await self._flush(recipient_id)

    async def send_image_url(self, recipient_id: str, image: str, **kwargs: Any) -> None:
        await super().send_image_url(recipient_id, image)
        await self._flush(recipient_id)

    async def send_attachment(self, recipient_id: str, attachment: Any, **kwargs: Any) -> None:
        await super().send_attachment(recipient_id, attachment)
        await self._flush(recipient_id)


def parse_choice(text: str, choices: Optional[List[str]]) -> Optional[str]:
    """The payload a bare number picks from the last numbered list, if it does."""
    stripped = text.strip().rstrip(".。")
    if choices and stripped.isdigit() and 1 <= int(stripped) <= len(choices):
        return choices[int(stripped) - 1]
    return None
