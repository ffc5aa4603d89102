"""Chinese-aware guide search: BM25 (bm25s) over words, character bigrams and pinyin bigrams.

Citizens rarely type an item's official name. Words from jieba (with the catalog's names,
aliases and keywords added to its dictionary) match the way people name a service;
character bigrams catch partial words and small typos (户口薄 shares 户口); toneless
pinyin bigrams catch homophones (身分证 and 身份证, 架照 and 驾照, 公基金 and 公积金);
traditional characters are made simplified first (護照 is 护照).
Names and aliases weigh more than keywords, so the words that tell close items apart
(丢了 for 补领, 到期 for 换领) decide between them.
"""
from __future__ import annotations

import copy
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise
from typing import Iterable, List, Sequence

import bm25s
import jieba
import numpy as np
from pypinyin import lazy_pinyin

from govbot.script import to_simplified
from portal.schemas import Guide

NAME_WEIGHT, ALIAS_WEIGHT, KEYWORD_WEIGHT = 3, 2, 1
MAX_QUERY_CHARS = 200
_CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")
_NOISE = re.compile(r"[^\w\u4e00-\u9fff]+")
# Booking and time words say *when* or *how*, never *which* service ("离婚预约" is 离婚): they
# are cut out before any feature is made, so "我想预约明天上午去办护照" ranks on 护照 alone.
_GENERIC = re.compile("预约|预定|预订|挂号|取号|排号|大前天|前天|昨天|今天|明天|大后天|后天|上午|下午|中午|晚上|早上")
# Words that carry no information about *which* service is meant.
_STOPWORDS = frozenset(
    "我 你 他 她 的 了 吗 呢 啊 吧 呀 嘛 么 在 是 要 想 能 可以 需要 怎么 怎么办 怎样 如何 什么 啥 咋 哪 哪里 哪儿"
    " 一下 请问 你好 您好 麻烦 帮 帮我 办理 办 去 到 给 和 与 有 没有 还 就 都 这个 那个 现在 已经 一个".split()
)


@dataclass(frozen=True)
class Hit:
    code: str
    name: str
    department: str
    score: float


@dataclass(frozen=True)
class _Entry:
    code: str
    name: str
    department: str


class Segmenter:
    """Turns text into search features; owns its own jieba dictionary (no global state)."""

    def __init__(self, vocabulary: Iterable[str]) -> None:
        self._jieba = _fresh_jieba()
        for word in vocabulary:
            word = normalise(word)
            if len(word) >= 2:
                self._jieba.add_word(word, freq=20000)

    def features(self, text: str) -> List[str]:
        text = _GENERIC.sub("", normalise(text))
        words = [w for w in self._jieba.lcut_for_search(text) if len(w) >= 2 and w not in _STOPWORDS]
        features = [f"w:{w}" for w in words]
        for run in _CJK_RUN.findall(text):
            features.extend(f"c:{a}{b}" for a, b in pairwise(run))
            syllables = lazy_pinyin(run)
            features.extend(f"p:{a}_{b}" for a, b in pairwise(syllables))
        return features


@lru_cache(maxsize=1)
def _base_jieba() -> jieba.Tokenizer:
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    return tokenizer


def _fresh_jieba() -> jieba.Tokenizer:
    """A private copy of jieba's main dictionary (loaded once per process) to add words to."""
    base = _base_jieba()
    tokenizer = copy.copy(base)
    tokenizer.FREQ = dict(base.FREQ)
    tokenizer.user_word_tag_tab = {}
    return tokenizer


def normalise(text: str) -> str:
    """Simplified script, full-width to half-width, lower case, punctuation and spaces removed."""
    return _NOISE.sub("", unicodedata.normalize("NFKC", to_simplified(text)).lower())


class GuideIndex:
    def __init__(self, guides: Sequence[Guide]) -> None:
        self._entries = [_Entry(g.code, g.name, g.department) for g in guides]
        self._segmenter = Segmenter(v for g in guides for v in (g.name, *g.aliases, *g.keywords))
        self._bm25 = bm25s.BM25(k1=1.2, b=0.5)
        self._bm25.index([self._document(g) for g in guides], show_progress=False)

    def _document(self, guide: Guide) -> List[str]:
        features = self._segmenter.features(guide.name) * NAME_WEIGHT
        for alias in guide.aliases:
            features += self._segmenter.features(alias) * ALIAS_WEIGHT
        for keyword in guide.keywords:
            features += self._segmenter.features(keyword) * KEYWORD_WEIGHT
        return features

    def search(self, query: str, limit: int = 5) -> List[Hit]:
        """Best matches first; items sharing nothing with the query are left out."""
        features = self._segmenter.features(query[:MAX_QUERY_CHARS])
        if not features or not self._entries:
            return []
        scores = self._bm25.get_scores(features)
        limit = min(limit, len(scores))
        top = np.argpartition(-scores, limit - 1)[:limit]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [self._hit(i, float(scores[i])) for i in top if scores[i] > 0]

    def _hit(self, index: int, score: float) -> Hit:
        entry = self._entries[index]
        return Hit(entry.code, entry.name, entry.department, round(score, 4))
