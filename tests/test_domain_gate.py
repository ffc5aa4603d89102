"""The domain gate: trained on government and out-of-scope examples, it turns a government intent
on an everyday request into ``out_of_scope`` and leaves government requests and values alone."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from govbot.domain_gate import DomainGate, Gate, grams

GOVERNMENT = ["补办身份证要带什么", "护照怎么办", "我要预约办居住证", "查一下办件进度", "公积金怎么提取", "转人工",
              "我要投诉窗口", "营业执照在哪办", "社保卡丢了怎么补", "结婚登记要什么材料", "预约明天上午办护照",
              "取消我的预约", "我约的几点", "申请低保的条件", "驾照到期换证", "户口迁移怎么办理"]
EVERYDAY = ["放一首周杰伦的歌", "红烧肉怎么做", "明天北京天气", "帮我订个酒店", "给妈妈打个电话", "讲个笑话",
            "附近有什么好吃的", "订一张去上海的高铁票", "感冒了吃什么药", "床前明月光下一句", "打开手电筒",
            "导航到最近的加油站", "今天股票怎么样", "推荐一部电影", "帮我设个闹钟", "翻译一下你好"]


def test_grams_fold_numbers_and_read_traditional_script():
    assert grams("預約12", 2) == grams("预约34", 2)
    assert "0" in grams("SQ2026", 1)


def test_the_gate_tells_government_requests_from_everyday_ones():
    gate = Gate.fit(GOVERNMENT, EVERYDAY)
    assert gate.government("身份证丢了怎么补办") > 0.5 > gate.government("放一首歌给我听")
    assert Gate.from_json(gate.to_json()).government("护照") == pytest.approx(gate.government("护照"))


def _message(text: str, intent: str, entities: Optional[List[Dict[str, Any]]] = None) -> Message:
    return Message(data={"text": text, "intent": {"name": intent, "confidence": 0.99},
                         "intent_ranking": [{"name": intent, "confidence": 0.99}], "entities": entities or []})


@pytest.fixture
def trained_gate(tmp_path: Path) -> DomainGate:
    storage = LocalModelStorage(tmp_path)
    resource = Resource("domain_gate")
    context = ExecutionContext(GraphSchema({}), "test")
    config = {**DomainGate.get_default_config(), "threshold": 0.5}
    gate = DomainGate.create(config, storage, resource, context)
    examples = [Message(data={"text": t, "intent": "ask_guide"}) for t in GOVERNMENT] + \
               [Message(data={"text": t, "intent": "out_of_scope"}) for t in EVERYDAY]
    gate.train(TrainingData(training_examples=examples))
    return DomainGate.load(config, storage, resource, context)  # as a served model loads it


def test_a_government_intent_on_an_everyday_request_becomes_out_of_scope(trained_gate):
    message = trained_gate.process([_message("放一首歌给我听", "complain")])[0]
    assert message.get("intent")["name"] == "out_of_scope"
    assert [r["name"] for r in message.get("intent_ranking")] == ["out_of_scope", "complain"]


def test_government_requests_values_and_small_talk_are_left_alone(trained_gate):
    kept = [_message("身份证丢了怎么补办", "ask_guide"), _message("放一首歌", "greet"),
            _message("放一首歌 13912345678", "book_appointment",
                     [{"entity": "phone_number", "value": "13912345678", "extractor": "RegexEntityExtractor"}]),
            _message("放一首歌 YY2026120512345678", "cancel_appointment")]
    assert [m.get("intent")["name"] for m in trained_gate.process(kept)] == \
        ["ask_guide", "greet", "book_appointment", "cancel_appointment"]
