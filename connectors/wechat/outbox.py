"""客服消息下发：额度、失败留存与补发。

客服消息接口：https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Service_Center_messages.html
下发规则（摘自官方说明）：用户发送消息后 48 小时内可下发 5 条；点击自定义菜单、关注公众号、
扫描带参数二维码后 1 分钟内可下发 3 条。超出时接口返回 45047（条数超限）或 45015（超出时限）。

额度在共享存储里计数，超出前就不再调用；微信仍返回 45015 / 45047 时，记日志并把未发出的回复
留到该用户下一次发消息时补发，绝不悄悄丢掉。
"""
from __future__ import annotations

import asyncio
import json
import logging
from typing import List, Optional, Sequence, Tuple

from connectors.wechat.api import WeChatClient
from connectors.wechat.errors import (ReplyQuotaError, ReplyWindowError, UserRefusedError, WeChatAPIError,
                                      WeChatUnavailable)
from connectors.wechat.inbound import EVENT_WINDOW, MESSAGE_WINDOW
from connectors.wechat.masking import mask_openid
from connectors.wechat.storage import Storage

logger = logging.getLogger(__name__)

WINDOWS = {MESSAGE_WINDOW: (5, 48 * 3600), EVENT_WINDOW: (3, 60)}  # count, seconds
PENDING_TTL = 7 * 24 * 3600
PENDING_MAX = 20


class Outbox:
    """Pushes messages through the customer-service API within WeChat's quota."""

    def __init__(self, storage: Storage, client: WeChatClient):
        self._storage = storage
        self._client = client

    @staticmethod
    def window(openid: str, window: Optional[str]) -> Optional[Tuple[str, str, float]]:
        """The (key, count, seconds) a user interaction sets: a fresh window for customer-service
        messages (set by the claim of that push, see ``turns``)."""
        if window not in WINDOWS:
            return None
        count, seconds = WINDOWS[window]
        return f"quota:{window}:{openid}", str(count), float(seconds)

    async def open_window(self, openid: str, window: Optional[str]) -> None:
        spec = self.window(openid, window)
        if spec is not None:
            await self._storage.set(*spec)

    @staticmethod
    def pending_key(openid: str) -> str:
        return f"pending:{openid}"

    async def take_pending(self, openid: str) -> List[str]:
        return [json.loads(item) for item in await self._storage.pop_all(self.pending_key(openid))]

    async def keep_pending(self, openid: str, texts: Sequence[str]) -> None:
        await self._storage.push(self.pending_key(openid), [json.dumps(t, ensure_ascii=False) for t in texts],
                                 PENDING_TTL, PENDING_MAX)

    async def push(self, openid: str, texts: Sequence[str]) -> int:
        """Sends ``texts`` in order; what cannot be sent now is kept for the next user message."""
        for index, text in enumerate(texts):
            if not await self._take_quota(openid):
                await self._defer(openid, texts[index:], "no customer-service quota left")
                return index
            try:
                await self._send(openid, text)
            except (ReplyWindowError, ReplyQuotaError) as error:
                await self._spend_all(openid)
                await self._defer(openid, texts[index:], f"errcode {error.errcode} {error.errmsg}")
                return index
            except UserRefusedError as error:
                logger.info("%s does not accept messages (errcode %s): dropped %d",
                            mask_openid(openid), error.errcode, len(texts) - index)
                return index
            except WeChatAPIError as error:
                await self._defer(openid, texts[index:], str(error))
                return index
        return len(texts)

    async def _send(self, openid: str, text: str) -> None:
        try:
            await self._client.send_text(openid, text)
        except WeChatUnavailable as error:
            # -1 (busy) or no answer: one more try; after a timeout the first may have arrived,
            # and a duplicate is better than a lost answer to a citizen.
            logger.warning("customer-service send to %s failed (%s); retrying once", mask_openid(openid), error)
            await asyncio.sleep(0.5)
            await self._client.send_text(openid, text)

    async def _take_quota(self, openid: str) -> bool:
        for window in (EVENT_WINDOW, MESSAGE_WINDOW):
            if await self._storage.take(f"quota:{window}:{openid}"):
                return True
        return False

    async def _spend_all(self, openid: str) -> None:
        for window in WINDOWS:
            await self._storage.delete(f"quota:{window}:{openid}")

    async def _defer(self, openid: str, texts: Sequence[str], why: str) -> None:
        await self.keep_pending(openid, texts)
        logger.warning("kept %d message(s) for %s until the next user message: %s",
                       len(texts), mask_openid(openid), why)
