"""Homophone typos of the catalog's words, read as the words before NLU: 公基金 is 公积金.

Citizens type by pinyin (and speak to voice input), so a service's name often arrives with a
character of the same sound: 公基金, 身分证, 港奥通行证. The guide search matches sounds itself
(``portal/search.py``); the intent classifier learned from the right characters and may read
公基金怎么提取 as out of scope (基金 is an investment question there). So the NLU is shown the
text with each run of three or more characters that sounds exactly like one catalog word (its
name, alias or keyword) written as that word. The citizen's own text is what the conversation
keeps: only the parse sees the corrected one, and its length is unchanged, so entity offsets
still point at the same characters.

``install()`` puts the step in ``MessageProcessor.parse_message`` of the Rasa server process,
after the length bound (``govbot.message_bound``).
"""
from __future__ import annotations

import functools
import re
from collections import Counter
from typing import Any, Dict, Iterable, List, Optional, Tuple

from pypinyin import lazy_pinyin

from govbot.script import to_simplified

MIN_CHARS, MAX_CHARS = 3, 6
MIN_ENTRIES, LEAD = 2, 3  # the right spelling is in at least 2 entries, 3 times as many as another
INSTALLED = "_govbot_homophones"
_CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")
Sound = Tuple[str, ...]
# Characters whose sound-alikes are other words, not typos: 不办 / 补办, 不在 / 簿在, 是 / 事
_FUNCTION_CHARS = set("不没的地得了在是有要会能可吗呢吧啊也都就还和与或去来个这那什么你我他她它们天")


def _sound(chars: str) -> Sound:
    """Toneless pinyin, one syllable per character (each character read on its own, both sides)."""
    return tuple(lazy_pinyin(c)[0] for c in chars)


class Homophones:
    """The catalog's words by sound. For each sound the word most entries contain is the
    right spelling (公积金 in dozens, the typo alias 公基金提取 in one); a rarer string of that sound
    is a typo of it. A sound without such a clear favourite corrects nothing."""

    def __init__(self, entries: Iterable[str]) -> None:
        counts: Counter = Counter()
        for entry in {e for e in entries if e}:
            counts.update(_words(entry))
        by_sound: Dict[Sound, List[Tuple[int, str]]] = {}
        for piece, count in counts.items():
            by_sound.setdefault(_sound(piece), []).append((count, piece))
        self._by_sound: Dict[Sound, str] = {}
        for sound, pieces in by_sound.items():
            pieces.sort(reverse=True)
            best, runner_up = pieces[0][0], pieces[1][0] if len(pieces) > 1 else 0
            if best >= MIN_ENTRIES and best >= LEAD * runner_up:
                self._by_sound[sound] = pieces[0][1]

    def correct(self, text: str) -> str:
        """``text`` with each homophone of a catalog string written as the string (same length)."""
        return _CJK_RUN.sub(lambda run: self._correct_run(run.group()), text)

    def _correct_run(self, run: str) -> str:
        sounds = [lazy_pinyin(c)[0] for c in run]
        out: List[str] = list(run)
        i = 0
        while i < len(run):
            word = self._match_at(run, sounds, i)
            if word:
                out[i:i + len(word)] = word
                i += len(word)
            else:
                i += 1
        return "".join(out)

    def _match_at(self, run: str, sounds: List[str], start: int) -> Optional[str]:
        """The right spelling of the longest catalog string sounding like the text at ``start``,
        when the text differs from it in one character that is not a function word (不办 is not 补办)."""
        for length in range(min(MAX_CHARS, len(sounds) - start), MIN_CHARS - 1, -1):
            word = self._by_sound.get(tuple(sounds[start:start + length]))
            if word:
                return word if _one_typo(run[start:start + length], word) else None
        return None


def _words(entry: str) -> set:
    """The words of a catalog entry (the entry itself when short, and what jieba finds in it),
    never a piece across two words (到期怎么 holds no word 期怎么)."""
    words = {w for run in _CJK_RUN.findall(entry) for w in (run, *base_tokenizer().lcut_for_search(run))}
    return {w for w in words if MIN_CHARS <= len(w) <= MAX_CHARS}


@functools.lru_cache(maxsize=1)
def base_tokenizer() -> Any:
    """jieba with its own dictionary only: what a catalog word is made of, whatever user
    dictionary this process has loaded into jieba's global tokenizer."""
    import jieba

    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    return tokenizer


def _one_typo(piece: str, word: str) -> bool:
    """``piece`` is ``word`` with one character of the same sound mistyped (in either script)."""
    differ = [(a, b) for a, b in zip(to_simplified(piece), word, strict=False) if a != b]
    return len(differ) == 1 and differ[0][0] not in _FUNCTION_CHARS


@functools.lru_cache(maxsize=1)
def catalog_homophones() -> Homophones:
    from portal.catalog import Catalog

    guides = Catalog.from_files().guides.values()
    return Homophones(w for g in guides for w in (g.name, *g.aliases, *g.keywords))


def install(homophones: Optional[Homophones] = None) -> None:
    """From now on this Rasa server's NLU reads homophone typos as the catalog's words; idempotent."""
    from rasa.core.processor import MessageProcessor

    parse_message = MessageProcessor.parse_message
    if getattr(parse_message, INSTALLED, False):
        return
    table = homophones or catalog_homophones()

    @functools.wraps(parse_message)
    async def parse_corrected(self: MessageProcessor, message: Any, *args: Any, **kwargs: Any) -> Any:
        said = message.text
        corrected = table.correct(said) if said and not said.startswith("/") else said
        if corrected == said:
            return await parse_message(self, message, *args, **kwargs)
        message.text = corrected
        try:
            parsed = await parse_message(self, message, *args, **kwargs)
        finally:
            message.text = said
        parsed["text"] = said
        return parsed

    setattr(parse_corrected, INSTALLED, True)
    MessageProcessor.parse_message = parse_corrected
