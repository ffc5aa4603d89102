"""The sound featurizer: homophone typos, voice-input slips and traditional characters look alike."""
from __future__ import annotations

from pathlib import Path
from typing import List

import numpy as np
import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.tokenizers.jieba_tokenizer import JiebaTokenizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from govbot.pinyin_featurizer import PinyinCountVectorsFeaturizer, sound_of


@pytest.mark.parametrize("typed, meant", [
    ("身分证", "身份证"), ("投素", "投诉"), ("赚人工", "转人工"), ("预越", "预约"), ("在马", "在吗"),
    ("預約", "预约"), ("辦證", "办证"), ("营业执找", "营业执照"), ("身份正", "身份证")])
def test_homophones_and_traditional_characters_sound_the_same(typed, meant):
    assert sound_of(typed) == sound_of(meant)


def test_different_words_and_digit_strings_stay_apart():
    assert sound_of("投诉") != sound_of("预约")
    assert sound_of("88") == "88" and sound_of("3q") == "3q"


def featurized(texts: List[str], train: List[str], tmp_path: Path) -> List[np.ndarray]:
    context, storage = ExecutionContext(GraphSchema({}), "test"), LocalModelStorage(tmp_path)
    tokenizer = JiebaTokenizer.create(JiebaTokenizer.get_default_config(), storage, Resource("jieba"), context)
    featurizer = PinyinCountVectorsFeaturizer.create(
        {**PinyinCountVectorsFeaturizer.get_default_config(), "analyzer": "char", "min_ngram": 2, "max_ngram": 5},
        storage, Resource("pinyin"), context)
    training = TrainingData([Message(data={TEXT: t}) for t in train])
    tokenizer.process_training_data(training)
    featurizer.train(training)
    messages = tokenizer.process([Message(data={TEXT: t}) for t in texts])
    featurizer.process(messages)
    return [m.get_sparse_features(TEXT)[1].features.toarray() for m in messages]


def test_a_typo_gets_the_features_of_the_word_it_sounds_like(tmp_path):
    typo, word, other = featurized(["我要投素", "我要投诉", "我要预约"], ["我要投诉", "我要预约", "再见"], tmp_path)
    assert np.array_equal(typo, word)
    assert not np.array_equal(word, other)


def test_chat_digits_are_not_folded_into_one_number(tmp_path):
    bye, choice = featurized(["88", "2"], ["88啦", "选2", "886"], tmp_path)
    assert not np.array_equal(bye, choice)
