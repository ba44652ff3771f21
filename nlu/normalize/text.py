"""Canonical text (half-width, lower case, simplified Chinese, same length) and the cleaning of a value's
surrounding words: edge punctuation, leading fillers (我们要, 大概), trailing particles (吧, 了, 噻)."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

# Full-width ASCII and the ideographic space become half-width; ￥ becomes ¥.
_WIDTH = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)} | {0x3000: 0x20, 0xFFE5: ord("¥")}


@lru_cache(maxsize=1)
def _converter() -> Any:
    from opencc import OpenCC  # lazily: loading the dictionaries costs ~20 ms that most imports never need

    return OpenCC("t2s")


@lru_cache(maxsize=4096)
def canonical_text(text: str) -> str:
    """Half-width, lower-case, simplified-Chinese copy of ``text`` with exactly the same length.

    Keeping the length is the contract: offsets found in the canonical text are valid in the original.
    """
    s = text.translate(_WIDTH)
    lowered = s.lower()
    s = lowered if len(lowered) == len(s) else "".join(c.lower() if len(c.lower()) == 1 else c for c in s)
    simple = _converter().convert(s)
    if len(simple) == len(s):
        return simple
    return "".join(conv if len(conv := _converter().convert(c)) == 1 else c for c in s)


EDGE = " \t\r\n,.!?;:，。！？；：、~～…\"'“”‘’()（）[]【】<>《》"
_EDGE_DROP = str.maketrans("", "", EDGE)


def bare_text(text: str) -> str:
    """`canonical_text` without punctuation or spaces: what the character n-gram models read."""
    return canonical_text(text).translate(_EDGE_DROP)


_PARTICLES = ("就可以了", "就可以", "就行了", "就行", "就好了", "就好", "就够了", "够了", "可以", "吧", "啊", "呀",
              "嘛", "哈", "哦", "噢", "呢", "噻", "嘞", "咯", "啰", "啦", "了", "的", "哟", "喔", "嘅", "喇", "咧",
              "哇")
_FILLERS = ("我们这边", "我们", "我这边", "我", "那就", "那", "嗯", "呃", "额", "哦", "就", "是", "要", "需要", "想要",
            "打算", "准备", "买", "订", "采购", "来", "差不多要", "大概要", "预算", "最好", "希望", "争取", "在", "给",
            "系", "要得", "好")


def clean(text: str, fillers: tuple[str, ...] = _FILLERS) -> str:
    """Canonical text without edge punctuation, leading filler words and trailing particles."""
    s = re.sub(r"\s+", " ", canonical_text(text)).strip(EDGE)
    changed = True
    while changed and s:
        changed = False
        for word in fillers:
            if s.startswith(word) and len(s) > len(word):
                s, changed = s[len(word):].strip(EDGE), True
        for word in _PARTICLES:
            if s.endswith(word) and len(s) > len(word):
                s, changed = s[:-len(word)].strip(EDGE), True
    return s
