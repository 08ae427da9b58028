"""Chinese text helpers shared by the classifier and the duplicate engine. Pure functions."""

from __future__ import annotations

import re
import unicodedata

_SPACE = re.compile(r"\s+")
# What a place name ends with: compounds, roads, schools, villages, markets ...
_SUFFIX = re.compile(
    r"(?:小区|花园|家园|新村|公寓|大厦|广场|中学|小学|学校|幼儿园|医院|卫生院|社区|大道|支路|路(?![灯费线况途程人边])|街(?![头边上])|巷|村|镇|乡|桥|"
    r"公园|市场|商场|工业园|园区|苑|府|湾|郡|公馆|大院|家属院|楼院|国际城|新城|之城|小镇|佳园|名城|华庭|雅居)"
)
# Characters that end a place name when walking back from its suffix.
_STOP = set("的在于了和与及是旁边内里对把被从到给向我你他她们这那个有要关位址诉映报告称近某"
            "省市区县道楼前后面上下层号栋")  # administrative levels end a name: 暮云街道月塘路 → 月塘路
_NAME_CHAR = re.compile(r"[\u4e00-\u9fa5A-Za-z0-9]")
_MASKED = re.compile(r"^(?:[A-Za-z]\d*[市区县省]?)+")  # A市, A3区, H3县 in the public data
_GENERIC = {"小区", "社区", "公园", "学校", "医院", "市场", "广场", "大道", "城", "新城", "村", "镇", "路", "街"}


def normalize(text: str) -> str:
    """NFKC (full-width → half-width), lower case, single spaces."""
    return _SPACE.sub(" ", unicodedata.normalize("NFKC", text or "")).strip().lower()


def places(text: str, *, longest: int = 8) -> set[str]:
    """Specific place names a message mentions (联丰路, 米兰春天小区, 黄兴镇卫生院 ...).

    From each place suffix, walk back over name characters, stopping at function words, punctuation
    or `longest` characters; masked prefixes like "A市A3区" and bare generic words are dropped.
    """
    text = unicodedata.normalize("NFKC", text or "")
    found = set()
    for match in _SUFFIX.finditer(text):
        start = match.start()
        while start > 0 and match.start() - start < longest:
            ch = text[start - 1]
            if ch in _STOP or not _NAME_CHAR.match(ch):
                break
            start -= 1
        name = _MASKED.sub("", text[start:match.end()])
        if len(name) >= 3 and name not in _GENERIC and not name.isdigit():
            found.add(name)
    return found
