"""Chinese script: citizens type traditional characters (護照丟了) as often as simplified ones.

The catalog, the NLU data and the search index are simplified; one conversion where text
enters (the guide actions, the portal search) makes 護照丟了 and 护照丢了 the same query.
"""
from __future__ import annotations

from functools import lru_cache

import opencc


@lru_cache(maxsize=1)
def _converter() -> opencc.OpenCC:
    """OpenCC's traditional-to-simplified table (built once per process: loading it is slow)."""
    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """``text`` in simplified characters; simplified text, digits and Latin letters are unchanged."""
    return _converter().convert(text) if text else text
