"""Chinese text helpers shared by the classifier and the duplicate engine. Pure functions. (Places and
problems are read in `matter.py`.)"""

from __future__ import annotations

import re
import unicodedata

_SPACE = re.compile(r"\s+")


def normalize(text: str) -> str:
    """NFKC (full-width → half-width), lower case, single spaces."""
    return _SPACE.sub(" ", unicodedata.normalize("NFKC", text or "")).strip().lower()

