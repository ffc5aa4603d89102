"""``HANDOFF_MODE=wechat``: WeChat's own customer service (多客服) takes the conversations the
assistant hands over, for accounts whose agents already work in WeChat's tools.

- Every turn of a paused conversation (the handoff itself, and each later message WeChat still
  pushes to us) is answered with the passive ``transfer_customer_service`` reply, which makes
  WeChat forward that message to the agents; the handoff's own words follow as customer-service
  messages. Only a passive reply transfers: a turn that missed WeChat's 5 s is not forwarded (the
  citizen's next message is), and the marker is never pushed as text.
- ``kf_close_session`` (an agent closed the session) resumes the Rasa conversation with the
  console's hand-back events (``console.rasa.RESUMED``) and tells the citizen the assistant is back.

https://developers.weixin.qq.com/doc/offiaccount/Customer_Service/Forwarding_of_messages_to_service_center.html
"""
from __future__ import annotations

import time
from typing import Any, List, Optional, Sequence

from rasa.shared.core.events import Event
from wechatpy.replies import TransferCustomerServiceReply

from console.rasa import RESUMED

TRANSFER = "\x00transfer_customer_service"  # a turn's text meaning "answer with the transfer reply"
KF_CLOSED = "event.kf_close_session"
BACK_TO_BOT = "人工客服已结束本次服务，接下来由智能助手继续为您服务。如需人工帮助，可随时回复“转人工”。"


def render_transfer_reply(openid: str, account: str, now: Optional[float] = None) -> str:
    """The passive reply that hands this message to WeChat's customer service."""
    return TransferCustomerServiceReply(source=account, target=openid, time=int(now or time.time())).render()


def sendable(texts: Sequence[str]) -> List[str]:
    """The texts that may go out as customer-service messages (never the transfer marker)."""
    return [text for text in texts if text != TRANSFER]


async def resume(agent: Any, openid: str) -> bool:
    """Resumes ``openid``'s paused conversation in Rasa's tracker store, under Rasa's own lock;
    False when it was not paused (an agent closing a session twice, a session opened elsewhere)."""
    async with agent.lock_store.lock(openid):
        tracker = await agent.tracker_store.retrieve(openid)
        if tracker is None or not tracker.is_paused():
            return False
        for event in RESUMED:
            tracker.update(Event.from_parameters(event))
        await agent.tracker_store.save(tracker)
    return True
