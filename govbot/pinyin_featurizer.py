"""A Rasa featurizer that reads Chinese the way a pinyin keyboard or a voice recogniser hears it.

People pick the wrong character with the right sound all the time (身分证, 投素, 赚人工, 预越,
在马), and voice input swaps characters that sound alike. Character n-grams miss these: 投素
and 投诉 share one character of two. Here every token is replaced by its toneless pinyin, with
the initials and finals that many speakers (and recognisers) merge made equal (zh/z, ch/c,
sh/s, -ng/-n), and character n-grams of that are counted. Homophones then share most features.
Traditional characters (預約, 辦) sound like their simplified forms, so they match too. Digit
strings are kept as typed, not folded into one number token as the other featurizers do: in
chat they are words by sound (88 拜拜, 886 拜拜了, 3q 谢谢).
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import List, Text

from pypinyin import Style, lazy_pinyin
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import CountVectorsFeaturizer
from rasa.shared.nlu.constants import TEXT

FUZZY_SOUNDS = ((re.compile(r"(?<![a-z])([zcs])h"), r"\1"), (re.compile(r"([ie])ng\b"), r"\1n"))


@lru_cache(maxsize=65536)
def sound_of(token: str) -> str:
    """Toneless, fuzzy pinyin of a token; characters without pinyin (digits, Latin) stay as they are."""
    syllables = " ".join(lazy_pinyin(token, style=Style.NORMAL, errors="default"))
    for pattern, replacement in FUZZY_SOUNDS:
        syllables = pattern.sub(replacement, syllables)
    return syllables.replace(" ", "")


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=True)
class PinyinCountVectorsFeaturizer(CountVectorsFeaturizer):
    """``CountVectorsFeaturizer`` over the sound of each token instead of its characters."""

    def _process_tokens(self, tokens: List[Text], attribute: Text = TEXT) -> List[Text]:
        if attribute == TEXT:
            return [sound_of(token.lower()) for token in tokens]
        return super()._process_tokens(tokens, attribute)
