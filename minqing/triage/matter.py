"""What a request is about: its place and its problem, read from the text. Pure functions, no database.

A *place* is a name the text gives to where the matter is: a road (联丰路, 漓楚路口), a compound or
building (丽发新城, 伊景园滨河苑, 辉煌国际城二期), a landmark or organisation (泉星公园, 经济学院,
某某有限公司), a village (茶场村), a quarter (梅溪湖) or a community, each found by its suffix and the
name characters before it (stopping at function words and verbs), or, without a suffix, by the
building number right after it (江山帝景A14栋). The district's own names (its streets, communities and
compounds, `Gazetteer`) are found first, exactly, whatever surrounds them. Buildings, house numbers,
phases and village groups (3号楼, 中山路48号, 二期, 五组) narrow a place down; administrative areas
(A3区, 暮云街道, 黄兴镇) only tell two places apart. A message with no place word names no place.

The *problem* is what is wrong: the concepts of `problems.PROBLEMS` (噪音, 油烟, 停水, 捆绑销售 ...)
that the text mentions, each through any of its words, so "噪声很大" and "吵得睡不着" are one problem.

`place_relation` and `explain` compare two readings; `cluster.same_matter` decides.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from .problems import PROBLEMS, problems_in, strong

# --- places -----------------------------------------------------------------------------------
ROAD, COMPOUND, LANDMARK, VILLAGE, COMMUNITY, QUARTER, STREET, DISTRICT = (
    "road", "compound", "landmark", "village", "community", "quarter", "street", "district")
KIND_LABEL = {ROAD: "道路", COMPOUND: "小区/楼盘", LANDMARK: "地标/单位", VILLAGE: "村组", COMMUNITY: "社区",
              QUARTER: "片区", STREET: "街道/乡镇", DISTRICT: "区县"}

# Suffix → kind. Longer suffixes first (the regex alternation takes the first that matches).
_SUFFIXES: list[tuple[str, str]] = [
    ("家属院", COMPOUND), ("家属区", COMPOUND), ("安置小区", COMPOUND), ("小区", COMPOUND), ("花园", COMPOUND),
    ("家园", COMPOUND), ("新村", COMPOUND), ("公寓", COMPOUND), ("大厦", COMPOUND), ("山庄", COMPOUND),
    ("公馆", COMPOUND), ("大院", COMPOUND), ("华庭", COMPOUND), ("嘉园", COMPOUND), ("佳园", COMPOUND),
    ("雅居", COMPOUND), ("名城", COMPOUND), ("国际城", COMPOUND), ("之城", COMPOUND), ("新城", COMPOUND),
    ("天下", COMPOUND), ("世家", COMPOUND), ("苑", COMPOUND), ("府", COMPOUND), ("郡", COMPOUND),
    ("湾", COMPOUND), ("城", COMPOUND), ("园", COMPOUND), ("庭", COMPOUND), ("居", COMPOUND), ("阁", COMPOUND),
    ("幼儿园", LANDMARK), ("中学", LANDMARK), ("小学", LANDMARK), ("学校", LANDMARK), ("学院", LANDMARK),
    ("大学", LANDMARK), ("医院", LANDMARK), ("卫生院", LANDMARK), ("诊所", LANDMARK), ("公园", LANDMARK),
    ("广场", LANDMARK), ("市场", LANDMARK), ("商场", LANDMARK), ("超市", LANDMARK), ("酒店", LANDMARK),
    ("宾馆", LANDMARK), ("饭店", LANDMARK), ("工地", LANDMARK), ("工业园", LANDMARK), ("产业园", LANDMARK),
    ("物流园", LANDMARK), ("园区", LANDMARK), ("地铁站", LANDMARK), ("公交站", LANDMARK), ("火车站", LANDMARK),
    ("车站", LANDMARK), ("站", LANDMARK), ("停车场", LANDMARK), ("驾校", LANDMARK), ("银行", LANDMARK),
    ("支行", LANDMARK), ("派出所", LANDMARK), ("有限责任公司", LANDMARK), ("有限公司", LANDMARK),
    ("公司", LANDMARK), ("集团", LANDMARK), ("中心", LANDMARK), ("机场", LANDMARK), ("景区", LANDMARK),
    ("大道", ROAD), ("大街", ROAD), ("大桥", ROAD), ("隧道", ROAD), ("高速", ROAD), ("路", ROAD), ("街", ROAD),
    ("巷", ROAD), ("桥", ROAD), ("湖", QUARTER), ("片区", QUARTER), ("村", VILLAGE), ("组", VILLAGE), ("社区", COMMUNITY),
]
_SUFFIX_KIND = dict(_SUFFIXES)
# What must not follow a suffix for it to end a name: 路灯, 路口 is fine (联丰路口 names 联丰路) ...
_NOT_AFTER = {"路": "灯费线况途程", "街": "道头边上坊", "城": "市区管乡际中镇里铁高", "园": "区林艺丁长",
              "站": "台点长", "府": "办", "中心": "城", "居": "民住委家然", "桥": "梁", "湾": "区",
              "村": "民委干部级镇", "组": "织长建成团合内员", "庭": "院审", "阁": "下", "高速": "公路",
              "天下": "人午", "公司": "的", "社区": "的活卫服工居委里内医组书干网办民"}
_ROAD_NEXT = re.compile(r"[东西南北中]?[一二三四五六七八九十\d]?(?:路|街|大道|巷|高速)")
_SUFFIX_RE = re.compile("(" + "|".join(re.escape(s) for s, _ in sorted(_SUFFIXES, key=lambda x: -len(x[0]))) + ")")
# Characters that end a name when walking back from its suffix: function words, verbs that introduce
# a place, administrative levels (暮云街道月塘路 → 月塘路), building words.
_STOP = set("的在于了与及是对把被从到给我你他她们这那个有要诉映报称某省市区县道楼层号栋住请问求就也还又或为由条"
            "距离处往说让使已并而且但因该此每各本跟看没很更最非您谁何哪吗呢吧啊呀着得局")
_STRADDLING = ("楼顶", "楼下", "楼上", "住进", "住在", "到了", "在建", "对面", "旁边", "门口", "里面", "外面")
_NAME_WORDS = {"建设", "开发", "成立", "解放", "人民", "马"}
# Words that end a name too: what comes before them is not part of it (严重影响小区 names no place).
_STOP_WORDS = ("门口", "影响", "导致", "造成", "严重", "政府", "要求", "希望", "建议", "反映", "反应", "投诉", "举报",
               "关于", "位于", "地处", "居住", "我们", "进行", "包括", "以及", "还有", "其中", "对于", "作为", "由于",
               "因为", "所以", "但是", "可是", "如果", "已经", "目前", "现在", "近期", "最近", "每天", "经常", "附近",
               "周边", "旁边", "对面", "楼下", "楼顶", "穿越", "加盖", "设置", "开设", "建设", "修建", "新建", "拟建",
               "兴建", "在建", "扩建", "搭乘", "前往", "经过", "途经", "靠近", "紧挨", "紧邻", "毗邻", "呼吁", "期盼",
               "维护", "违背", "超出", "按照", "开发商", "业主", "居民", "学生", "家庭", "人口", "密集", "大型",
               "规模", "科学", "合作", "平时", "下班", "上班", "早上", "晚上", "施工", "建筑", "营销", "所有", "整个",
               "广大", "众多", "多个", "几个", "其他", "其它", "每个", "一个", "一家", "一所", "一座", "一条", "这条",
               "进入", "回到", "迁回", "迁到", "户口", "搬到", "搬进", "住进", "入住", "购买", "买了", "认购", "购房",
               "交房", "拆除", "接到", "通知", "发现", "看到", "听说", "据悉", "得知", "了解", "打电话", "电话",
               "修路", "项目", "中小学校", "隔壁", "挨着", "紧靠", "沿线", "沿街", "临街", "底商", "开了", "开的", "成立",
               "举办", "办理", "申请", "咨询", "请求", "恳请", "强烈", "坚决", "反对", "支持", "同意", "处理",
               "解决", "管理", "负责", "承建", "开发", "销售", "出售", "出租", "租给", "改成", "变成", "成为",
               "外面", "以外", "之外", "开展", "过街", "人行", "这些", "那些", "哪些", "一些", "地址", "前面", "后面",
               "里面", "周围", "之间", "以前", "之前", "以后", "之后", "过去", "以来", "自从", "来到", "去年", "今年",
               "明年", "告知", "报告", "称为", "名为", "叫做", "无法", "太多", "都是", "等等", "即将", "临近", "至今",
               "将近", "位置", "边上", "内的", "内有", "等地", "来自", "去了", "以及", "商品房", "定向", "限价", "职工",
               "无路", "不宜", "必须", "只能", "可以", "能够", "需要", "应该", "不能", "不要", "一定", "号线", "安排",
               "逐级", "准备", "享受", "踢出", "情况下", "保障", "参加", "联系", "找", "去", "借", "想", "报名",
               "组织", "通过", "向")
_NAME = re.compile(r"[\u4e00-\u9fa5A-Za-z0-9]")
_MASKED_AREA = re.compile(r"(?<![a-z0-9])([a-z]\d{0,2})(市|区|县)(?![路街道北南东西中大之都郡城镇])")
_AREA = re.compile(r"([\u4e00-\u9fa5])(街道|镇)(?![政府长委村])")
# Bare words that look like names but name nothing in particular.
_GENERIC_STEMS = {
    "政", "市政", "人民政", "家", "法", "县", "进", "古", "全", "本", "该", "此", "这", "那", "小", "大", "老", "新",
    "旧", "整个", "周边", "附近", "我们", "各", "某", "一", "两", "几", "马", "道", "铁", "水泥", "线", "思", "出",
    "必经之", "断头", "快速", "十字", "高速公", "过马", "主干", "支", "环", "公", "城", "花", "校", "学", "医",
    "本小", "整", "同", "住宅", "居民", "商品", "安置", "老旧", "配套", "公办", "民办", "私立", "公立", "普惠",
    "城中", "农", "乡", "省", "市", "区", "地", "工", "车", "菜", "游乐", "幼", "物业", "业主", "职", "民",
    "业", "地铁", "公交", "汽车", "火车", "高铁", "加油", "搅拌", "垃圾", "充电", "变电", "派出", "集",
    "全市", "全县", "全区", "市内", "城内", "省会", "入", "进入", "回", "好", "高", "低", "多", "少", "远", "近",
    "家乡", "市中", "农贸", "菜市", "夜", "早", "后", "前", "东", "西", "南", "北", "中", "上", "下", "内", "外",
    "有限", "有限责任", "股份有限", "责任", "科技", "开发", "置业", "房地产", "投资", "物流", "发展", "建设",
    "管理", "服务", "不", "他", "文明", "卫生", "一线", "二线", "学区", "名", "名校", "重点", "该校", "本校",
    "本院", "私人", "个人", "国有", "分", "总", "二", "三", "四", "五", "六", "七", "八", "九", "十",
    "普惠性", "普惠制", "盈利性", "私立性", "示范性", "一级", "二级", "三级", "公办性", "民办性",
    "施工", "建筑", "营销", "售楼", "办公", "商业", "综合", "体育", "文化", "服务中", "活动", "政务", "客服",
    "水", "自来水", "宅", "星", "地下", "天", "街天", "人行天", "过街天", "立交", "高架", "人行", "过街", "什么",
    "两家", "同一", "破坏", "生活", "占用", "扰乱", "扰乱市场", "政工程", "工程", "不动产", "公积金", "卫生服务",
    "政务服务", "供水", "燃气", "电力", "水务", "水业", "移动", "联通", "电信", "口公交", "公交首末",
    "首末", "始发", "终点", "村民", "村民小", "城际", "地铁线", "公交线", "专线", "环线",
}
_GENERIC_NAMES = {"天桥", "村民小组", "高速公路", "小区", "社区", "公园", "学校", "医院", "市场", "广场", "大道", "新城", "村", "镇", "路", "街",
                  "公司", "中心", "工地", "车站", "银行", "集团", "园区", "花园", "家园", "大厦", "公寓", "幼儿园",
                  "中学", "小学", "大学", "学院", "超市", "酒店", "饭店", "宾馆", "停车场", "地铁站", "公交站",
                  "火车站", "高速", "大桥", "隧道", "诊所", "派出所", "驾校", "村组", "景区", "机场", "物流园"}
# A trailing word that adds nothing to a name: 丽发新城小区 and 丽发新城 are one place.
_TRAILING = ("安置小区", "小区", "社区", "片区", "楼盘", "项目", "有限责任公司", "股份有限公司", "有限公司", "公司")
_LEADING = ("我们", "我", "位于", "地处", "关于", "投诉", "举报", "反映", "反应", "咨询", "请问", "建议", "希望",
            "坚决", "反对", "恳请", "请求", "强烈", "要求", "本人", "家住", "居住", "靠近", "紧邻", "对面",
            "隔壁", "西地", "一个", "一家", "一所", "附近的", "进", "在", "到", "建", "设立", "读", "些", "和", "及",
            "与", "口", "至")
_STOP_WORDS_REVERSED = re.compile("|".join(re.escape(w[::-1]) for w in sorted(_STOP_WORDS, key=len, reverse=True)))
_STRADDLING_RE = re.compile("|".join(re.escape(w) for w in _STRADDLING))
_LEADING_RE = re.compile("^(?:" + "|".join(re.escape(w) for w in sorted(_LEADING, key=len, reverse=True)) + ")+")
_LONGEST = {ROAD: 7, COMPOUND: 8, LANDMARK: 13, VILLAGE: 6, COMMUNITY: 7, QUARTER: 5, STREET: 4}

# Buildings and house numbers: 3号楼, 5栋, G2栋, 十一栋, 1-4栋, 中山路48号.
_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_BUILDING = re.compile(r"([A-Za-z]?\d{1,3}[A-Za-z]?|[一二三四五六七八九十]{1,3})\s*(?:号楼|号?栋|号?幢|号?座)(?!梁)")
_HOUSE_NUMBER = re.compile(r"(路|街|巷|道)(\d{1,4})号(?![楼院线])")
_PHASE = re.compile(r"([一二三四五六七八九十]|\d{1,2})期")
_GROUP = re.compile(r"(?<=村)([一二三四五六七八九十]{1,3}|\d{1,2}|[\u4e00-\u9fa5]{2})组")
# The reporter's own building ("我是3栋的业主") says where they live, not where the matter is.
_RESIDENCE_AFTER = re.compile(r"^\s*(?:\d{1,2}单元)?\s*(?:\d{3,4}(?:室|房|号)?)?\s*(?:的)?(?:一名|一位)?(?:业主|居民|住户|租户)")
_RESIDENCE_BEFORE = re.compile(r"(?:住在|家住|住|我是|我家在|本人是)[^，。；！？,.;!?]{0,14}$")


def chinese_number(text: str) -> int | None:
    """一 → 1, 十一 → 11, 二十三 → 23; digits as they are."""
    if text.isdigit():
        return int(text)
    if not text or any(ch not in _CN_DIGITS and ch != "十" for ch in text):
        return None
    if "十" not in text:
        value = 0
        for ch in text:
            value = value * 10 + _CN_DIGITS[ch]
        return value
    tens, _, units = text.partition("十")
    return (_CN_DIGITS.get(tens, 1) if tens else 1) * 10 + (_CN_DIGITS.get(units, 0) if units else 0)


@dataclass(frozen=True)
class Gazetteer:
    """Names the district knows, with their kind: streets, communities, compounds, roads, landmarks.

    Matched exactly and first, longest first, so "上西园小区" is one name although 上 usually ends
    one. A name maps to its key (the compound "瓜州路家属院", or "瓜州路社区" → "瓜州路社区").
    """

    names: tuple[tuple[str, str, str], ...] = ()  # (text as written, key, kind)

    @classmethod
    def of(cls, entries: Iterable[tuple[str, str]]) -> Gazetteer:
        seen: dict[str, tuple[str, str, str]] = {}
        for name, kind in entries:
            name = unicodedata.normalize("NFKC", name or "").strip().lower()
            if len(name) < 2:
                continue
            seen.setdefault(name, (name, canonical(name, kind, phase=True), kind))
            # 建西东路社区 is also spoken of as 建西东路: the community of that road.
            for suffix in ("社区居委会", "社区", "街道办事处", "街道"):
                stem = name[: -len(suffix)] if name.endswith(suffix) else ""
                if len(stem) >= 3 and kind in {COMMUNITY, STREET}:
                    seen.setdefault(stem, (stem, canonical(name, kind, phase=True), kind))
        return cls(tuple(sorted(seen.values(), key=lambda x: -len(x[0]))))

    def pattern(self) -> re.Pattern[str] | None:
        return _gazetteer_pattern(self.names)

    def __bool__(self) -> bool:
        return bool(self.names)


_PATTERNS: dict[tuple[tuple[str, str, str], ...], re.Pattern[str]] = {}


def _gazetteer_pattern(names: tuple[tuple[str, str, str], ...]) -> re.Pattern[str] | None:
    if not names:
        return None
    if names not in _PATTERNS:
        if len(_PATTERNS) > 8:
            _PATTERNS.clear()
        _PATTERNS[names] = re.compile("|".join(re.escape(n) for n, _, _ in names))
    return _PATTERNS[names]


EMPTY = Gazetteer()


_TRAILING_PHASE = re.compile(r"(?<=..)(?:[一二三四五六七八九十]|\d{1,2})期$")


def canonical(name: str, kind: str = COMPOUND, *, phase: bool = False) -> str:
    """The key two mentions of one place share: lower case, no masked prefix, no trailing 小区/公司 and,
    unless `phase`, no trailing phase (辉煌国际城二期 is 辉煌国际城, its 二期 a unit)."""
    name = unicodedata.normalize("NFKC", name).lower().replace(" ", "").replace("·", "").replace(".", "")
    if not phase:
        name = _TRAILING_PHASE.sub("", name)
    for suffix in _TRAILING:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            name = name[: -len(suffix)]
            break
    return name


_ORDINAL = set("东西南北中上下前后左右一二三四五六七八九十0123456789")


def same_name(a: str, b: str) -> bool:
    """One place named twice: equal; one the tail of the other (滨河苑 ⊂ 伊景园滨河苑, 沿联丰路 ⊃ 联丰路);
    for organisations the head (堂源华唯崇医药 ⊂ 堂源华唯崇医药连锁); or, from four characters on, the
    same characters in another order or one of them mistyped (捷聚飞迈 / 聚捷飞迈, 金帆社区 / 金范社区),
    but never a different direction or number (人民东路 / 人民西路)."""
    if a == b:
        return True
    short, long_ = (a, b) if len(a) <= len(b) else (b, a)
    if len(short) < 3:
        return False
    if long_.endswith(short) or (len(short) >= 4 and long_.startswith(short)):
        return True
    if len(short) >= 6 and _inner_common(a, b) >= 4:
        return True
    if len(a) == len(b) >= 4:
        if sorted(a) == sorted(b):
            return True
        diff = [(x, y) for x, y in zip(a, b, strict=True) if x != y]
        return len(diff) == 1 and len(a) >= 5 and not ({diff[0][0], diff[0][1]} & _ORDINAL)
    return False


def _inner_common(a: str, b: str) -> int:
    """The longest run of characters two names share, not counting a beginning they share (a brand:
    师大附中星城实验学校 and 师大附中梅溪湖中学 are two schools) nor their last two characters (the
    kind of place: 实验小学)."""
    a, b = a[:-2], b[:-2]
    skip = 0
    while skip < min(len(a), len(b)) and a[skip] == b[skip]:
        skip += 1
    a, b = a[skip:], b[skip:]
    best = 0
    for i in range(len(a)):
        for j in range(i + best + 1, len(a) + 1):
            if a[i:j] in b:
                best = j - i
            else:
                break
    return best


def name_keys(name: str) -> tuple[str, ...]:
    """Index keys under which `same_name` finds `name`: its last three characters, its first four, and
    its characters sorted (the reordered spelling)."""
    keys = [name[-3:]]
    if len(name) >= 4:
        keys += ["^" + name[:4], "~" + "".join(sorted(name))]
    return tuple(keys)


FINE = {COMPOUND, LANDMARK, VILLAGE}
HEAD = 40  # the subject, or the first words: where a message says what it is about


@dataclass(frozen=True)
class Mention:
    name: str  # key, as `canonical` makes it
    kind: str
    start: int
    end: int

    @property
    def fine(self) -> bool:
        return self.kind in FINE


@dataclass(frozen=True)
class Matter:
    """A message read for its place and its problem."""

    places: tuple[Mention, ...]  # specific places, in order of appearance
    areas: frozenset[str]  # administrative areas: a3区, 暮云街道, 黄兴镇
    units: frozenset[str]  # where inside the place: 3栋, 二期 → 2期, 路48号
    problems: frozenset[str]  # concepts of PROBLEMS
    terms: tuple[str, ...]  # the words that named them, for the reason shown
    rest: str = ""  # the text without its places and units: what is said about them

    @property
    def names(self) -> frozenset[str]:
        return frozenset(m.name for m in self.places)

    def primary(self, fine: bool) -> list[Mention]:
        """The places of one grain a message is about: those in its first words, else its first two."""
        of = [m for m in self.places if m.fine == fine]
        head = [m for m in of if m.start < HEAD]
        return head or of[:2]

    def shared_places(self, other: Matter) -> list[str]:
        """The names both give, the longer spelling of each, most specific first."""
        found: dict[str, str] = {}
        for a in self.places:
            for b in other.places:
                if a.fine == b.fine and same_name(a.name, b.name):
                    longer = a.name if len(a.name) >= len(b.name) else b.name
                    found.setdefault(min(a.name, b.name, key=len), longer)
        return sorted(set(found.values()), key=lambda n: (-len(n), n))


def _walk_back(text: str, end: int, kind: str) -> int:
    start = end
    longest = _LONGEST.get(kind, 8)
    while start > 0 and end - start < longest:
        ch = text[start - 1]
        if ch in _STOP or not _NAME.match(ch):
            break
        if kind != ROAD and ch in "路街" and start < end:  # 远大路东方银座: the road is a place of its own
            break
        start -= 1
    # Cut after the last stop word inside the run, unless that leaves nothing but the suffix.
    run = text[start:end]
    last = _STOP_WORDS_REVERSED.search(run[::-1])
    cut = len(run) - last.start() if last else 0
    # A stop word that straddles the stop character (楼|顶, 住|进) ends the name after it.
    if start > 0:
        straddle = _STRADDLING_RE.match(text, start - 1)
        if straddle:
            cut = max(cut, straddle.end() - start)
    if 0 < cut < len(run):
        start += cut
    elif cut and cut == len(run) and run not in _NAME_WORDS:
        start = end
    return start


def _clean(name: str) -> str:
    stripped = _LEADING_RE.sub("", name)
    if len(stripped) >= 2:
        name = stripped
    name = re.sub(r"^(?:[a-z]\d{0,2}[市区县省])+", "", name)
    return re.sub(r"^[\d、.]+(?=[\u4e00-\u9fa5])", "", name)


def _is_name(name: str, suffix: str) -> bool:
    if len(name) < 3 and not (len(name) == 2 and suffix in {"苑", "府", "湾", "郡", "城", "园", "村", "桥"}):
        return False
    if name in _GENERIC_NAMES or name.isdigit() or name.endswith(("政府", "校园", "家庭")):
        return False
    stem = name[: -len(suffix)] if suffix and name.endswith(suffix) else name
    if suffix in {"小区", "社区", "安置小区"} and len(stem) < 2:
        return False
    if not stem or stem in _GENERIC_STEMS or stem.isdigit() or re.fullmatch(r"[a-z0-9]+", stem):
        return False
    return not re.fullmatch(r"[一二三四五六七八九十百千\d]+", stem)


def read(text: str, gazetteer: Gazetteer = EMPTY) -> Matter:
    """The places, areas, units and problems a message mentions."""
    text = unicodedata.normalize("NFKC", text or "").lower()
    mentions: list[Mention] = []
    taken = bytearray(len(text))
    areas: set[str] = set()
    pattern = gazetteer.pattern()
    if pattern is not None:
        keys = {n: (k, kind) for n, k, kind in gazetteer.names}
        for m in pattern.finditer(text):
            key, kind = keys[m.group(0)]
            if kind in {STREET, DISTRICT}:
                areas.add(key)
            else:
                mentions.append(Mention(key, kind, m.start(), m.end()))
            taken[m.start():m.end()] = b"\x01" * (m.end() - m.start())
    for m in _MASKED_AREA.finditer(text):
        if m.group(1) != "a" or m.group(2) != "市":  # A市 is the whole city: nearly every message is in it
            areas.add(m.group(1) + m.group(2))
        taken[m.start():m.end()] = b"\x01" * (m.end() - m.start())
    for m in _AREA.finditer(text):
        start = _walk_back(text, m.start(2), STREET)
        stem = _clean(text[start:m.start(2)])
        if len(stem) >= 2 and stem not in _GENERIC_STEMS and not stem.isdigit():
            areas.add(stem + m.group(2))
            taken[m.start(2) - len(stem):m.end()] = b"\x01" * (m.end() - m.start(2) + len(stem))
    for m in _SUFFIX_RE.finditer(text):
        suffix = m.group(1)
        if any(taken[m.start():m.end()]):
            continue
        after = text[m.end():m.end() + 1]
        if after and after in _NOT_AFTER.get(suffix, ""):
            continue
        kind = _SUFFIX_KIND[suffix]
        if kind in {COMPOUND, LANDMARK} and _ROAD_NEXT.match(text, m.end()):
            continue  # 楚府路: 府 is inside a road's name
        start = _walk_back(text, m.start(), kind)
        if any(taken[start:m.start()]):
            start = max(i + 1 for i in range(start, m.start()) if taken[i])
        raw = _clean(text[start:m.end()])
        if not _is_name(raw, suffix) or (kind == ROAD and raw[:-len(suffix)].endswith(("线", "马"))):
            continue
        if suffix == "组":
            if not ("村" in raw or re.search(r"[一二三四五六七八九十\d]组$", raw) or "村" in text[max(0, start - 6):start]):
                continue
            village = re.match(r"^(.{2,}村)(.+组)$", raw)
            if village:  # 茶场村五组: the village is the place, 五组 a part of it
                continue
        key = canonical(raw, kind)
        if key in _GENERIC_STEMS or key in _GENERIC_NAMES or len(key) < 2:
            continue
        mentions.append(Mention(key, kind, m.end() - len(raw), m.end()))
    mentions += _named_by_unit(text, taken)
    mentions = _drop_nested(mentions)
    units = _units(text, mentions)
    problems, terms = problems_in(text)
    return Matter(tuple(mentions), frozenset(areas), frozenset(units), problems, terms, _rest(text, mentions, taken))


_UNIT_SPAN = re.compile(r"[a-z]?\d{1,4}[a-z]?\s*(?:号楼|号?栋|号?幢|号?座|单元|室|号|期|楼)|[一二三四五六七八九十]{1,3}(?:号楼|栋|期)")


def _rest(text: str, mentions: list[Mention], taken: bytearray) -> str:
    """The text with its places, areas and units blanked out, for comparing what is said about them:
    two reports of different problems in one compound share the compound's name, and in a short
    message that name alone makes them look alike."""
    blank = bytearray(taken)
    for mention in mentions:
        blank[mention.start:mention.end] = b"\x01" * (mention.end - mention.start)
    for unit in _UNIT_SPAN.finditer(text):
        blank[unit.start():unit.end()] = b"\x01" * (unit.end() - unit.start())
    pieces, at = [], 0
    for run in _RUNS.finditer(bytes(blank)):
        pieces.append(text[at:run.start()])
        at = run.end()
    pieces.append(text[at:])
    return _SPACES.sub(" ", " ".join(pieces)).strip()


_RUNS = re.compile(rb"\x01+")
_SPACES = re.compile(r"\s+")


_UNIT_START = re.compile(r"(?:[a-z]?\d{1,3}[a-z]?|[一二三四五六七八九十]{1,3})\s*(?:号楼|号?栋|号?幢|号?座|期)")


def _named_by_unit(text: str, taken: bytearray) -> list[Mention]:
    """The name right before a building or a phase is a compound's, suffix or not: 水墨林溪15栋,
    江山帝景A14栋, 绿地海外滩二期, 星沙三区27栋."""
    found = []
    for m in _UNIT_START.finditer(text):
        end = m.start()
        if end == 0 or any(taken[max(0, end - 2):end]):
            continue
        start = _walk_back(text, end, COMPOUND)
        if start > 1 and text[start - 1] == "区" and re.match(r"[一二三四五六七八九十\d]", text[start - 2]):
            start = _walk_back(text, start - 1, COMPOUND)  # 星沙三区: a numbered part of a place
        raw = _clean(text[start:end])
        if len(raw) < 3 or not _NAME.match(raw[-1]) or re.search(r"\d$", raw):
            continue
        key = canonical(raw, COMPOUND)
        if key in _GENERIC_STEMS or key in _GENERIC_NAMES or len(key) < 3 or _GENERIC_TAIL.search(key):
            continue
        found.append(Mention(key, COMPOUND, end - len(raw), end))
    return found


_GENERIC_TAIL = re.compile(r"(?:小区|社区|别墅|住宅|楼房|商品房|房子|高层|洋房|一共|共有|总共|其中|分别|第)$")


def _drop_nested(mentions: list[Mention]) -> list[Mention]:
    """A name inside a longer one at the same spot is the same place (丽发新城 in 丽发新城小区); a
    compound that is a tail of another named elsewhere stays (伊景园 and 伊景园滨河苑 are both kept)."""
    mentions.sort(key=lambda m: (m.start, -(m.end - m.start)))
    kept: list[Mention] = []
    for m in mentions:
        if any(k.start <= m.start and m.end <= k.end and (k.name.endswith(m.name) or len(m.name) < 3) for k in kept):
            continue
        kept.append(m)
    seen: set[tuple[str, str]] = set()
    unique = []
    for m in sorted(kept, key=lambda m: m.start):
        if (m.name, m.kind) not in seen:
            seen.add((m.name, m.kind))
            unique.append(m)
    return unique


def _units(text: str, mentions: list[Mention]) -> set[str]:
    units: set[str] = set()
    for m in _BUILDING.finditer(text):
        before, after = text[max(0, m.start() - 16):m.start()], text[m.end():m.end() + 12]
        if _RESIDENCE_AFTER.match(after) or _RESIDENCE_BEFORE.search(before):
            continue
        raw = m.group(1)
        number = chinese_number(raw)
        units.add(f"{number if number is not None else raw}栋")
    for m in _HOUSE_NUMBER.finditer(text):
        road = next((p.name for p in mentions if p.end == m.start() + 1), "")
        if road:
            units.add(f"{road}{m.group(2)}号")
    for m in _GROUP.finditer(text):
        number = chinese_number(m.group(1))
        units.add(f"{number if number is not None else m.group(1)}组")
    for m in _PHASE.finditer(text):
        number = chinese_number(m.group(1))
        if number is not None and 0 < number < 20 and text[m.start() - 1:m.start()] not in "第每前后近":
            units.add(f"{number}期")
    return units


# --- comparing two readings -------------------------------------------------------------------
SAME, DIFFERENT, UNKNOWN = "same", "different", "unknown"


def _matches(mine: Iterable[Mention], theirs: Iterable[Mention]) -> bool:
    theirs = list(theirs)
    return any(same_name(a.name, b.name) for a in mine for b in theirs)


def place_relation(a: Matter, b: Matter) -> str:
    """Whether two readings speak of one place.

    Compounds, landmarks and villages are the fine grain, roads and communities the coarse one.
    SAME when a place one of them is about (named in its first words, else its first two names of
    that grain) is named anywhere by the other, fine grain first; DIFFERENT when both are about a
    fine place in their first words and none is shared — two compounds on one road are two places —
    when they name places and share none at all, or when their districts, or their streets and
    towns, differ; UNKNOWN when either names no place.
    """
    if a.areas and b.areas and not _areas_overlap(a.areas, b.areas):
        return DIFFERENT
    if not a.places or not b.places:
        return UNKNOWN
    fine_a = [m for m in a.places if m.fine]
    fine_b = [m for m in b.places if m.fine]
    if _matches(a.primary(True), fine_b) or _matches(b.primary(True), fine_a):
        return _units_relation(a, b)
    if any(m.start < HEAD for m in fine_a) and any(m.start < HEAD for m in fine_b):
        return DIFFERENT  # each is about a fine place in its first words, and they are not the same
    coarse_a = [m for m in a.places if not m.fine]
    coarse_b = [m for m in b.places if not m.fine]
    if _matches(a.primary(False), coarse_b) or _matches(b.primary(False), coarse_a):
        return _units_relation(a, b)
    if _matches(fine_a, fine_b) or _matches(coarse_a, coarse_b) or _road_named_after(a, b) or _road_named_after(b, a):
        return _units_relation(a, b)
    return DIFFERENT


def _road_named_after(a: Matter, b: Matter) -> bool:
    """格林星城路 is the road of 格林星城: a road whose name is a place's name and 路."""
    stems = {m.name[:-1] for m in a.places if m.kind == ROAD and m.name.endswith(("路", "街")) and len(m.name) >= 4}
    return any(m.fine and m.name in stems for m in b.places)


def units_relation(a: Matter, b: Matter) -> str:
    """3栋 and 7栋 of one compound, 五组 and 六组 of one village, are two places (the reporter's own
    building does not count); SAME otherwise."""
    for kind in ("栋", "组"):
        units_a = {u for u in a.units if u.endswith(kind)}
        units_b = {u for u in b.units if u.endswith(kind)}
        if len(units_a) == 1 and len(units_b) == 1 and not (units_a & units_b):
            return DIFFERENT
    return SAME


_units_relation = units_relation


_DISTRICT = re.compile(r"^(?:[a-z]\d+市|.+[区县])$")
_CITY = re.compile(r"^[a-z]市$")


def _level(area: str) -> str:
    if _CITY.match(area):
        return "city"
    if _DISTRICT.match(area):
        return "district"
    return "street"


def _areas_overlap(a: frozenset[str], b: frozenset[str]) -> bool:
    """Compatible unless they name different areas of one level. A shared street or town settles it:
    it lies in one district, whatever else the text says."""
    if any(_level(x) == "street" for x in a & b):
        return True
    for level in ("city", "district", "street"):
        la = {x for x in a if _level(x) == level}
        lb = {x for x in b if _level(x) == level}
        if la and lb and not (la & lb):
            return False
    return True


def problem_overlap(a: Matter, b: Matter) -> frozenset[str]:
    return a.problems & b.problems


@dataclass(frozen=True)
class Reason:
    places: tuple[str, ...]
    problems: tuple[str, ...]
    copy: bool = False

    def __str__(self) -> str:
        parts = []
        if self.copy:
            parts.append("内容几乎相同")
        if self.places:
            parts.append("同一地点：" + "、".join(self.places))
        if self.problems:
            parts.append("同一问题：" + "、".join(self.problems))
        return "；".join(parts)


def explain(a: Matter, b: Matter, *, copy: bool = False, extra_places: Iterable[str] = ()) -> Reason:
    """Why two messages are one matter: the places and problem words they share."""
    places = list(extra_places) + a.shared_places(b)
    units = sorted(u for u in a.units & b.units if not (places and u.endswith("期") and places[0].endswith("期")))
    if units and places:
        places[0] = places[0] + " " + "、".join(units)
    shared = problem_overlap(a, b)
    words = [t for t in a.terms if t in set(b.terms)]
    labels = sorted(strong(shared), key=lambda p: list(PROBLEMS).index(p)) or sorted(shared)
    shown = list(dict.fromkeys(labels + [w for w in words if w not in labels]))[:5]
    return Reason(tuple(dict.fromkeys(places))[:3], tuple(shown), copy)
