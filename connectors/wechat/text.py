"""Fits bot text to WeChat: at most 2,048 UTF-8 bytes per text message, cut between sentences.

A Chinese character takes 3 bytes, so a 700-character guide already needs two messages;
cutting mid-sentence (or mid-character) would garble it, so parts end at 。！？；or a line
break, then at a comma, and only a sentence longer than a whole message is cut hard.
"""
from __future__ import annotations

import re
from typing import List

MAX_BYTES = 2048
_SENTENCE_END = re.compile(r"(?<=[。！？!?；;…\n])")
_CLAUSE_END = re.compile(r"(?<=[，,、：:\s])")


def byte_length(text: str) -> int:
    return len(text.encode("utf-8"))


def split_text(text: str, limit: int = MAX_BYTES) -> List[str]:
    """Parts of ``text``, each at most ``limit`` UTF-8 bytes, cut at the latest sentence end."""
    text = text.strip()
    if not text:
        return []
    if byte_length(text) <= limit:
        return [text]
    parts: List[str] = []
    current = ""
    for piece in _pieces(text, limit):
        if current and byte_length(current + piece) > limit:
            parts.append(current)
            current = ""
        current += piece
    if current:
        parts.append(current)
    return [part.strip() for part in parts if part.strip()]


def _pieces(text: str, limit: int) -> List[str]:
    """Sentences; a sentence over ``limit`` becomes clauses, a clause over it hard chunks."""
    pieces: List[str] = []
    for sentence in filter(None, _SENTENCE_END.split(text)):
        if byte_length(sentence) <= limit:
            pieces.append(sentence)
            continue
        for clause in filter(None, _CLAUSE_END.split(sentence)):
            pieces.extend([clause] if byte_length(clause) <= limit else _hard_chunks(clause, limit))
    return pieces


def _hard_chunks(text: str, limit: int) -> List[str]:
    chunks: List[str] = []
    current = ""
    for char in text:
        if byte_length(current + char) > limit:
            chunks.append(current)
            current = ""
        current += char
    if current:
        chunks.append(current)
    return chunks
