"""What one staff member sees of a citizen: supervisors everything, agents personal data masked
(``govbot.masking``: phone and ID numbers in texts, the openid shortened)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Optional

from console.sessions import Session
from console.staff import Staff
from govbot.masking import mask_numbers


@dataclass(frozen=True)
class Viewer:
    staff: Staff

    @property
    def sees_personal_data(self) -> bool:
        return self.staff.is_supervisor

    def identity(self, session: Session) -> str:
        return session.sender_id if self.sees_personal_data else session.masked_sender

    def text(self, text: Optional[str]) -> str:
        if not text:
            return ""
        return text if self.sees_personal_data else mask_numbers(text)


def duration(span: timedelta) -> str:
    """3 分钟, 2 小时 5 分钟, 1 天 3 小时: how long, for people."""
    minutes = max(int(span.total_seconds() // 60), 0)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days} 天 {hours} 小时"
    return f"{hours} 小时 {minutes} 分钟" if hours else f"{minutes} 分钟"
