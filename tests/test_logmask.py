"""The one masking filter (govbot/logmask.py): personal data and dumps never reach a log line,
whichever logger wrote it and whichever handler was configured after install()."""
from __future__ import annotations

import io
import logging

import pytest
from rasa.utils.endpoints import ClientResponseError

from govbot import logmask

PHONE, ID_NUMBER = "13812345678", "11010519491231002X"


@pytest.mark.parametrize("text, hidden, shown", [
    (f"手机{PHONE}，身份证{ID_NUMBER}", [PHONE, ID_NUMBER], ["138****5678", "110105********002X"]),
    ("姓名：王小明 请核对", ["王小明"], ["姓名：王**"]),
    ("我叫李秀英", ["李秀英"], ["我叫李**"]),
    ("Current slot values: \n\tappt_name: 王建国\n\tappt_phone: 13912345678", ["王建国", "13912345678"],
     ["appt_name: ***"]),
    ("SlotSet(key: appt_name, value: 赵六)", ["赵六"], ["key: appt_name, value: ***"]),
    ('{"name": "action_listen", "phone_last4": "5678"}', ["5678"], ['"name": "action_listen"']),
    ("POST /webhooks/rest/webhook?token=s3cr3t&x=1", ["s3cr3t"], ["token=***"]),
    ("Failed: 500, Internal Server Error, body='{\"request_body\": {\"tracker\": {}}}'", ["request_body"],
     ["withheld"]),
    ("Received user message with 'latest_message': {'text': 'hi'}", ["'text'"], ["withheld"]),
])
def test_mask_text(text, hidden, shown):
    masked = logmask.mask_text(text)
    for secret in hidden:
        assert secret not in masked
    for visible in shown:
        assert visible in masked


def test_traceback_of_an_action_server_error_loses_the_body():
    body = f'{{"error": "x", "request_body": {{"tracker": {{"latest_message": {{"text": "手机{PHONE}"}}}}}}}}'
    try:
        raise RuntimeError("Failed to execute custom action") from ClientResponseError(500, "Server Error", body)
    except RuntimeError:
        record = logging.LogRecord("rasa.core.processor", logging.ERROR, __file__, 1,
                                   "Encountered an exception while running action '%s'", ("action_x",), None)
        import sys
        record.exc_info = sys.exc_info()
    logmask.FILTER.filter(record)
    rendered = logging.Formatter().format(record)
    assert "action_x" in rendered and "Failed to execute custom action" in rendered
    assert PHONE not in rendered and "request_body" not in rendered and "withheld" in rendered


def test_install_covers_handlers_configured_afterwards_at_debug():
    """Rasa replaces the root handler (coloredlogs) after start-up: the record factory covers it."""
    previous_factory = logging.getLogRecordFactory()
    root = logging.getLogger()
    stream = io.StringIO()
    late = logging.StreamHandler(stream)
    try:
        logmask.install()
        logmask.install()  # twice changes nothing
        root.addHandler(late)
        rasa_logger = logging.getLogger("rasa.core.processor")
        old_level = rasa_logger.level
        rasa_logger.setLevel(logging.DEBUG)
        late.setLevel(logging.DEBUG)
        rasa_logger.debug("Received user message '%s' with intent '%s'", f"我叫张三 {PHONE} {ID_NUMBER}", "inform")
        rasa_logger.debug("Request body: %s", {"sender_id": "o1", "events": [{"text": PHONE}]})
        rasa_logger.setLevel(old_level)
    finally:
        root.removeHandler(late)
        logging.setLogRecordFactory(previous_factory)
        logmask._installed_factory = None
    written = stream.getvalue()
    assert "Received user message" in written and "inform" in written
    for secret in (PHONE, ID_NUMBER, "张三", "'events'"):
        assert secret not in written


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_debug_logs_of_a_whole_booking_through_the_real_stack_hold_no_personal_data(tmp_path, monkeypatch):
    """Every Rasa logger at DEBUG (LOG_LEVEL, as --debug), a real conversation through REST that
    gives a name, an ID number and a phone, and answers each offer with "1" (the booking offer
    raised a KeyError before: no reply and the tracker in the log)."""
    import uuid

    import requests

    from govbot.settings import MODELS_DIR
    from govbot.stack import running_stack
    from govbot.train import train

    assert train() == 0, "training failed"  # only when the model is out of date
    model = MODELS_DIR / "govbot.tar.gz"
    monkeypatch.setenv("LOG_LEVEL", "DEBUG")
    openid = "o" + uuid.uuid4().hex[:27]
    turns = []
    with running_stack(model, log_dir=tmp_path) as stack:
        def says(text: str) -> str:
            response = requests.post(f"{stack.rasa_url}/webhooks/rest/webhook",
                                     json={"sender": openid, "message": text}, timeout=60)
            response.raise_for_status()
            turns.append((text, "\n".join(m.get("text", "") for m in response.json())))
            return turns[-1][1]

        assert "需要帮您预约" in says("补办身份证")
        assert "大厅" in says("1"), turns  # the booking offer, answered with "1"
        says(f"身份证{ID_NUMBER}，手机{PHONE}")
        for _ in range(3):  # hall, day, hour: each list answered with "第一个"
            says("第一个")
        assert "请核对预约信息" in says("我叫王小明"), turns
        assert "预约成功" in says("1"), turns  # the read-back confirmed with "1"
    logged = (tmp_path / "rasa.log").read_text("utf-8")
    assert "DEBUG" in logged and "action_handle_reply" in logged
    for secret in (PHONE, ID_NUMBER, "王小明", "\\u738b\\u5c0f\\u660e", openid):
        assert secret not in logged, secret
