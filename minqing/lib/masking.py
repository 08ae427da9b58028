"""Masking of residents' personal data for viewers who do not handle their request.

`mask_phone` and `mask_name` mask a field we know is a phone number or a name (`138****5678`, `张**`).
`mask_public_text` masks what people typed into free text that the public reads (Open311, the notice
boards, the wish wall): phone numbers, ID card numbers and names. Free text also says which building and
which door, so a name found there loses its surname too (`我叫**`, `*先生`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable


def mask_phone(phone: str) -> str:
    digits = phone.strip()
    if not digits:
        return ""
    if len(digits) >= 11:
        return f"{digits[:3]}****{digits[-4:]}"
    if len(digits) > 4:
        return "*" * (len(digits) - 4) + digits[-4:]
    return "*" * len(digits)


def mask_name(name: str) -> str:
    name = name.strip()
    if not name:
        return ""
    return name[0] + "*" * max(1, len(name) - 1)


# --- free text --------------------------------------------------------------------------------------
# \d is any Unicode digit, so full-width digits (１３８…) typed on a phone are found too.
_SEP = r"[ \t\u3000\-－—–.·]?"
_ID = re.compile(rf"(?<![0-9A-Za-z])\d{{6}}{_SEP}(?:\d{{8}}{_SEP}\d{{3}}[\dXx×]|\d{{9}})(?![0-9A-Za-z])")
_MOBILE = re.compile(rf"(?<!\d)(?P<cc>(?:\+|00)?86{_SEP})?(?P<head>[1１][3-9３-９]\d){_SEP}\d{{4}}{_SEP}(?P<tail>\d{{4}})(?!\d)")
_LANDLINE = re.compile(rf"(?<!\d)(?P<area>[(（]?[0０]\d{{2,3}}[)）]?){_SEP}\d{{3,4}}{_SEP}(?P<tail>\d{{4}})(?!\d)")
# A number said to be a phone however it is written: 电话 8123456, 手机号：138 1234 5678 转 2.
_CUED_NUMBER = re.compile(r"(?P<cue>(?:电话|手机|手机号|联系方式|号码|座机|微信)[号]?(?:是|为|：|:|\s)*)(?P<number>\d[\d \-－]{5,}\d)")

# The common surnames (about nine in ten people) and the compound ones; a surname starts a name only
# where a cue says a name follows, so 东方物业 or 高楼 are never touched.
_SURNAMES = (
    "欧阳|司马|上官|诸葛|东方|皇甫|尉迟|公孙|慕容|长孙|宇文|司徒|夏侯|令狐|"
    "[王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖萧田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟"
    "谭陆汪范金石廖贾夏韦付傅方白邹孟熊秦邱江尹薛闫阎段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔汤常温康施文牛樊葛邢安"
    "齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳"
    "管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵"
    "苟邬边卞姬师仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝]"
)
_HAN = r"[\u3400-\u4dbf\u4e00-\u9fff]"
# Honorifics that follow a surname (张先生, 李秀兰阿姨). Not 老师, 师傅, 同志, 老人: they follow ordinary
# words too (高中老师, 管道师傅, 全体同志, 高龄老人), and teachers or repairmen are not the reporters.
_HONORIFIC = "先生|女士|小姐|阿姨|大爷|大妈|大娘|大婶|大姐|大哥|大叔|叔叔|奶奶|爷爷|婆婆|老汉|老太"
_BEFORE_HONORIFIC = re.compile(rf"(?P<name>(?:{_SURNAMES}){_HAN}{{0,2}}?)(?={_HONORIFIC})")
# 姓名：张三, 联系人：李秀兰: a label and a colon say a name follows, whatever it is.
_LABELLED = re.compile(rf"(?P<cue>(?:姓名|联系人|反映人|报修人|来电人|投诉人|申请人|户主|业主|居民|住户)[：:]\s*)"
                       rf"(?P<name>{_HAN}{{2,4}})")
# 我叫张三, 我是王芳, 本人李秀兰: the words usually introduce a name, so the name must start with a surname
# (我叫物业来修, 我是金城人 stay as they are, mostly).
_INTRODUCED = re.compile(rf"(?P<cue>(?:我叫|我名叫|名叫|名字叫|名字是|我是|本人是?|联系人是?|反映人是?|报修人是?|"
                         rf"来电人是?)\s*)(?P<name>(?:{_SURNAMES}){_HAN}{{1,2}})")
_SURNAME_ONLY = re.compile(rf"(?P<cue>我姓|本人姓|免贵姓)(?P<name>{_SURNAMES})")
# Where a name ends: it runs into the next word in Chinese (我叫王芳住在3号楼), so it is cut at the first
# character that usually starts the next word, unless that would leave the surname alone (王家明).
_AFTER_NAME = set("了过着的是在住家电手联反今说想要有因从和与及把被给对向到不也都就还又很人们这那个号楼单元门")


def _stars(name: str) -> str:
    return "*" * len(name)


def _mask_cued(match: re.Match[str]) -> str:
    found = match["name"]
    cut = next((i for i, ch in enumerate(found) if ch in _AFTER_NAME), len(found))
    if match.re is _LABELLED and cut == 0:  # 联系人：在3号楼 is no name
        return match[0]
    name = found[:cut] if cut >= 2 else found
    return match["cue"] + _stars(name) + found[len(name):]


def mask_public_text(text: str, *, names: Iterable[str] = (), keep: Iterable[str] = ()) -> str:
    """`text` with phone numbers, ID card numbers and names masked, for the public to read.

    `names`: names known to belong in it (the reporter's own stored name), masked wherever they occur.
    `keep`: names published on purpose (an award's nominee), left as they are.
    """
    if not text:
        return text or ""
    kept = [k for k in {k.strip() for k in keep} if len(k) >= 2 and k in text]
    for i, name in enumerate(kept):  # private-use characters: no pattern below can touch them
        text = text.replace(name, chr(0xE000 + i))
    text = _ID.sub(lambda m: m[0][:3] + "*" * (len(m[0]) - 5) + m[0][-2:], text)
    text = _MOBILE.sub(lambda m: f"{m['cc'] or ''}{m['head']}****{m['tail']}", text)
    text = _LANDLINE.sub(lambda m: f"{m['area']}-****{m['tail']}", text)
    text = _CUED_NUMBER.sub(lambda m: m["cue"] + re.sub(r"\d", "*", m["number"][:-2]) + m["number"][-2:], text)
    for name in sorted({n.strip() for n in names if n and len(n.strip()) >= 2}, key=len, reverse=True):
        text = text.replace(name, _stars(name))
    text = _BEFORE_HONORIFIC.sub(lambda m: _stars(m["name"]), text)
    for pattern in (_LABELLED, _INTRODUCED, _SURNAME_ONLY):
        text = pattern.sub(_mask_cued, text)
    for i, name in enumerate(kept):
        text = text.replace(chr(0xE000 + i), name)
    return text
