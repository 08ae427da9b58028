"""Chinese text helpers shared by the classifier and the duplicate engine. Pure functions."""

from __future__ import annotations

import re
import unicodedata

_SPACE = re.compile(r"\s+")
# Places people name: compounds, roads, schools, villages ... ("联丰路", "米兰春天G2栋" → "米兰春天").
_PLACE = re.compile(
    r"([\u4e00-\u9fa5A-Za-z0-9]{1,10}?"
    r"(?:小区|花园|家园|新村|公寓|大厦|广场|中学|小学|学校|幼儿园|医院|卫生院|村|镇|乡|社区|路|街|大道|巷|桥|公园|"
    r"市场|商场|工业园|园区|苑|府|城|湾|郡|庭|公馆|大院|家属院|楼院))"
)
# Too general to tell two places apart.
_GENERIC = re.compile(r"^(?:[A-Z]\d*|我们|这个|那个|本|该|附近|我|你|他|小|大|老|新|一|两)?(?:市|区|县|镇|乡|村|社区|城|路|街)$")
_PREFIX = re.compile(r"^(?:[A-Z]\d*[市区县])+")


def normalize(text: str) -> str:
    """NFKC (full-width → half-width), lower case, single spaces."""
    return _SPACE.sub(" ", unicodedata.normalize("NFKC", text or "")).strip().lower()


def places(text: str) -> set[str]:
    """Place names mentioned in a message, without the masked city/district prefixes (A市A3区)."""
    found = set()
    for match in _PLACE.findall(unicodedata.normalize("NFKC", text or "")):
        name = _PREFIX.sub("", match)
        if len(name) >= 3 and not _GENERIC.match(name):
            found.add(name)
    return found
