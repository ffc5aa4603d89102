"""Personal data never reaches a log line, in any process and from any logger.

One filter masks phone numbers, 18-character ID numbers, WeChat openids, Chinese names where
the text says they are names (姓名：张三, 我叫张三, ``appt_name: 张三``), the owner data of an
application (contact and verification fields) and secrets in query strings, in every record's message,
arguments and traceback. Records that carry a request body or a tracker (Rasa's debug lines,
an action server's error body inside an exception, structlog dumps of the latest message)
keep their first words and lose the dump, whatever the log level: an operator may well run
``--debug``.

``install()`` puts the filter on the root logger's handlers and into the log record factory,
so that handlers configured later (Rasa replaces the root handler with a coloredlogs one after
start-up) are covered as well.
"""
from __future__ import annotations

import logging
import re
import traceback
from typing import Any, Callable, Optional

from govbot.masking import mask_numbers

_OPENID = re.compile(r"(?<![A-Za-z0-9_-])o[A-Za-z0-9_-]{27}(?![A-Za-z0-9_-])")  # a WeChat openid
# structlog's JSON lines escape every Chinese character, tab and newline: read as written.
_JSON_ESCAPE = re.compile(r"\\(u[0-9a-fA-F]{4}|t|n)")
# A name the text itself labels as one: 姓名：张三, 我叫张三, 预约人 张三.
_LABELLED_NAME = re.compile(r"((?:姓名|名字|预约人|联系人|申请人|办理人|我叫|本人叫)(?:是|为|[:：\s])*)"
                            r"([\u4e00-\u9fa5][\u4e00-\u9fa5·]{1,9})")
# Personal fields in dumps of dicts, JSON, slots and events: "name": "张三", appt_phone: 138…,
# SlotSet(key: appt_name, value: 张三).
_PERSONAL_KEYS = (r"(?:appt|owner|contact|applicant|real|full|citizen)_name|(?:appt_|owner_|contact_)?phone"
                  r"|phone_last4|status_last4|id_number|mobile|applicant|owner|contact")
_PERSONAL_FIELD = re.compile(r"""(["']?\b(?:%s)\b["']?\s*(?:[:=]|,\s*value:)\s*)(["']?)([^"',}\]\n)]+)"""
                             % _PERSONAL_KEYS)
_SECRET_PARAM = re.compile(r"(?i)\b(token|secret|key|signature|msg_signature|access_token)=([^&\s'\"]+)")
# Dumps of a request body or a tracker: everything from the marker on is withheld.
_DUMP = re.compile(r"""body=|request_body|["']?latest_message["']?\s*[:=]|["']events["']\s*:\s*\[|"""
                   r"""["']tracker["']\s*:|["']sender_id["']\s*:""")
MAX_MESSAGE_CHARS = 2000


def mask_text(text: str) -> str:
    """``text`` with personal data masked and any request body or tracker dump withheld."""
    text = _JSON_ESCAPE.sub(_unescape, text)
    dump = _DUMP.search(text)
    if dump:
        text = f"{text[:dump.start()]}[request body or tracker withheld, {len(text) - dump.start()} chars]"
    text = mask_numbers(text)
    text = _LABELLED_NAME.sub(lambda m: m.group(1) + _mask_name(m.group(2)), text)
    text = _PERSONAL_FIELD.sub(lambda m: m.group(1) + m.group(2) + "***", text)
    text = _SECRET_PARAM.sub(r"\1=***", text)
    text = _OPENID.sub(lambda m: mask_openid(m.group(0)), text)
    return text if len(text) <= MAX_MESSAGE_CHARS else text[:MAX_MESSAGE_CHARS] + "…"


def _unescape(match: "re.Match[str]") -> str:
    code = match.group(1)
    return {"t": "\t", "n": "\n"}.get(code) or chr(int(code[1:], 16))


def _mask_name(name: str) -> str:
    """张** in a log: harder than ``govbot.masking.mask_name`` (王*明), which the citizen reads."""
    return name[0] + "*" * (len(name) - 1)


def mask_openid(openid: Optional[str]) -> str:
    """``oAbc…wxyz``: enough to tell users apart in a log, not enough to address one."""
    if not openid:
        return "-"
    if len(openid) <= 8:
        return openid[:1] + "***"
    return f"{openid[:4]}…{openid[-4:]}"


def redact(text: Optional[str], limit: int = 80) -> str:
    """A user text fit for a log: personal data masked, cut to ``limit`` characters."""
    if not text:
        return ""
    masked = mask_text(text)
    return masked if len(masked) <= limit else masked[:limit] + "…"


class MaskingFilter(logging.Filter):
    """Masks a record in place (message, arguments, traceback); never drops it, so an error
    is still seen, only without the personal data and the dumps."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "_govbot_masked", False):
            return True
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must not lose the record
            message = f"{record.msg!r} {record.args!r}"
        record.msg, record.args = mask_text(message), ()
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = mask_text_block("".join(traceback.format_exception(*record.exc_info)).rstrip())
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = mask_text_block(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_text_block(record.stack_info)
        record._govbot_masked = True
        return True


def mask_text_block(text: str) -> str:
    """A traceback or stack, masked line by line (a dump withheld on one line keeps the rest)."""
    return "\n".join(mask_text(line) for line in text.splitlines())


FILTER = MaskingFilter()
_installed_factory: Optional[Callable[..., logging.LogRecord]] = None


def install() -> None:
    """Masks every record of this process from now on; safe to call more than once."""
    global _installed_factory
    for handler in logging.getLogger().handlers:
        if FILTER not in handler.filters:
            handler.addFilter(FILTER)
    if _installed_factory is not None and logging.getLogRecordFactory() is _installed_factory:
        return
    make_record = logging.getLogRecordFactory()

    def masked_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make_record(*args, **kwargs)
        FILTER.filter(record)
        return record

    _installed_factory = masked_record
    logging.setLogRecordFactory(masked_record)
