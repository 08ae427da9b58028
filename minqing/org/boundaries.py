"""Areas' boundaries and the gazetteer from files: GeoJSON (also what ogr2ogr makes of a shapefile) and the
门牌地址库 as a spreadsheet. `manage.py areas import|export|addresses` calls these.

Everything is checked before anything is written, and every problem is named (which feature, what is wrong,
where); then all of it is written in one transaction, or none of it. Checks: a Polygon/MultiPolygon in WGS84
longitude/latitude, rings closed, the shape valid (no self-intersection, holes inside their shell), and no two
areas of one level overlapping, counting those already in the database that the file does not replace.
An area lying partly outside its parent is only warned about: a street's drawn edge and its grids' edges
rarely agree to the metre.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field

import shapely
from django.db import transaction
from django.utils import timezone

from minqing.lib.errors import ActionError
from minqing.lib.xlsx import read_table

from . import location
from .models import AddressRange, Area, AreaKind, Parity, boundary_problem

# Two areas of one level may share an edge; overlapping by more than this share of the smaller one is an error.
# Less is digitising noise on a shared edge (rounding to 1e-6° moves a vertex by up to 0.1 m): only warned about.
OVERLAP_SHARE = 1e-3
OUTSIDE_SHARE = 0.01
MAX_PROBLEMS = 50
KINDS = {k.value: k for k in AreaKind} | {k.label: k for k in AreaKind}
WGS84 = {"EPSG:4326", "urn:ogc:def:crs:OGC:1.3:CRS84", "urn:ogc:def:crs:EPSG::4326", "OGC:CRS84"}
REASONS = [  # GEOS' explanations, in Chinese
    (re.compile(r"Ring Self-intersection\[([-\d.e]+) ([-\d.e]+)\]"), "边界的环与自身相交"),
    (re.compile(r"Self-intersection\[([-\d.e]+) ([-\d.e]+)\]"), "边界自相交（线段交叉，如“8”字形）"),
    (re.compile(r"Hole lies outside shell\[([-\d.e]+) ([-\d.e]+)\]"), "内环（洞）不在外环之内"),
    (re.compile(r"Nested shells\[([-\d.e]+) ([-\d.e]+)\]"), "多个外环相互嵌套"),
    (re.compile(r"Interior is disconnected\[([-\d.e]+) ([-\d.e]+)\]"), "内环把区域分成了不相连的几块"),
    (re.compile(r"Too few points\[([-\d.e]+) ([-\d.e]+)\]"), "环的点太少"),
    (re.compile(r"Duplicate Rings\[([-\d.e]+) ([-\d.e]+)\]"), "有重复的环"),
]


class BoundaryError(ActionError):
    """The file was refused; `problems` lists every reason, each naming the feature or row."""

    def __init__(self, problems: list[str]) -> None:
        shown = problems[:MAX_PROBLEMS]
        more = f"\n……另有 {len(problems) - len(shown)} 处问题未列出。" if len(problems) > len(shown) else ""
        super().__init__(f"文件未导入，共 {len(problems)} 处问题：\n" + "\n".join(shown) + more)
        self.problems = problems


@dataclass
class Imported:
    created: int = 0
    updated: int = 0
    warnings: list[str] = field(default_factory=list)


def _why_invalid(geom: shapely.Geometry) -> str:
    reason = shapely.is_valid_reason(geom)
    for pattern, text in REASONS:
        m = pattern.search(reason)
        if m:
            return f"{text}，约在 经度 {float(m.group(1)):.6f}、纬度 {float(m.group(2)):.6f} 处"
    return f"边界无效（{reason}）"


def _square_metres(geom: shapely.Geometry) -> float:
    """A lon/lat area in square metres, near enough at a district's size."""
    lat = geom.centroid.y if not geom.is_empty else 0.0
    return geom.area * 111_320.0 ** 2 * math.cos(math.radians(lat))


def _prop(props: dict, *names: str) -> str:
    for name in names:
        value = props.get(name)
        if value not in (None, ""):
            return str(value).strip()
    return ""


def _features(data: bytes | str) -> list[dict]:
    try:
        doc = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        where = f"（第 {exc.lineno} 行第 {exc.colno} 列）" if isinstance(exc, json.JSONDecodeError) else ""
        raise BoundaryError([f"文件不是有效的 GeoJSON（JSON 格式错误{where}）。"]) from exc
    if not isinstance(doc, dict):
        raise BoundaryError(["文件应是一个 GeoJSON 的 FeatureCollection 或 Feature。"])
    crs = _prop((doc.get("crs") or {}).get("properties") or {}, "name")
    if crs and crs not in WGS84 and not crs.endswith("CRS84") and not crs.endswith("4326"):
        raise BoundaryError([f"坐标系是 {crs}，须为经纬度（WGS84，EPSG:4326）。"
                             "请先转换，例如：ogr2ogr -f GeoJSON -t_srs EPSG:4326 out.geojson 边界.shp"])
    if doc.get("type") == "Feature":
        return [doc]
    if doc.get("type") != "FeatureCollection" or not isinstance(doc.get("features"), list):
        raise BoundaryError(["文件应是一个 GeoJSON 的 FeatureCollection（含 features 列表）或单个 Feature。"])
    if not doc["features"]:
        raise BoundaryError(["文件里没有任何要素（features 为空）。"])
    return doc["features"]


def _target(props: dict, label: str, *, create: bool, by_code: dict[str, Area], problems: list[str]) -> Area | None:
    code, name = _prop(props, "code", "编码", "CODE", "area_code"), _prop(props, "name", "名称", "NAME")
    kind_text = _prop(props, "kind", "层级", "KIND")
    kind = KINDS.get(kind_text) if kind_text else None
    if kind_text and kind is None:
        problems.append(f"{label}：层级“{kind_text}”不认识，可用：{'、'.join(k.label for k in AreaKind)}。")
        return None
    if code:
        area = by_code.get(code)
        if area is not None:
            return area
        if not create:
            problems.append(f"{label}：编码 {code} 的区域不存在（要新建区域，请加 --create，并给出名称、层级和上级编码）。")
            return None
        parent_code = _prop(props, "parent", "上级编码", "parent_code")
        parent = by_code.get(parent_code)
        missing = [w for w, v in (("名称 name", name), ("层级 kind", kind), ("上级编码 parent", parent_code)) if not v]
        if missing:
            problems.append(f"{label}：新建区域 {code} 缺少 {'、'.join(missing)}。")
            return None
        if parent is None or kind is None:
            problems.append(f"{label}：上级编码 {parent_code} 的区域不存在。")
            return None
        return Area(code=code, name=name, kind=kind, parent=parent)
    if not name:
        problems.append(f"{label}：没有编码（code）也没有名称（name），不知道是哪个区域。")
        return None
    matches = [a for a in by_code.values() if a.name == name and (kind is None or a.kind == kind)]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        problems.append(f"{label}：找不到名为“{name}”的区域（可在属性里写编码 code）。")
    else:
        problems.append(f"{label}：名为“{name}”的区域有 {len(matches)} 个（编码 "
                        f"{'、'.join(a.code for a in matches)}），请在属性里写编码 code。")
    return None


def _overlaps(shapes: dict[str, tuple[Area, shapely.Geometry]], mine: set[str], problems: list[str],
              warnings: list[str]) -> None:
    codes = list(shapes)
    geoms = [shapes[c][1] for c in codes]
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    for i, j in zip(left.tolist(), right.tolist(), strict=True):
        if i >= j or (codes[i] not in mine and codes[j] not in mine):
            continue
        a, b = geoms[i], geoms[j]
        common = a.intersection(b)
        pair = f"“{shapes[codes[i]][0].name}”（{codes[i]}）与“{shapes[codes[j]][0].name}”（{codes[j]}）"
        if common.area > OVERLAP_SHARE * min(a.area, b.area):
            problems.append(f"{pair}的边界重叠，约 {_square_metres(common):,.0f} 平方米；同一层级的区域不能重叠。")
        elif _square_metres(common) >= 1:
            warnings.append(f"{pair}在共有边界上有约 {_square_metres(common):,.0f} 平方米的细小重叠，视为描边误差。")


def boundaries_import(*, data: bytes | str, create: bool = False, dry_run: bool = False) -> Imported:
    """Set (and with `create`, add) areas' boundaries from a GeoJSON file; all or nothing."""
    features = _features(data)
    by_code = {a.code: a for a in Area.objects.select_related("parent")}
    problems: list[str] = []
    chosen: dict[str, tuple[Area, shapely.Geometry, dict]] = {}
    for n, feature in enumerate(features, start=1):
        props = (feature.get("properties") if isinstance(feature, dict) else None) or {}
        label = f"第 {n} 个要素" + (f"（{_prop(props, 'name', '名称', 'NAME')}）" if _prop(props, "name", "名称", "NAME") else "")
        area = _target(props, label, create=create, by_code=by_code, problems=problems)
        geometry = feature.get("geometry") if isinstance(feature, dict) else None
        problem = boundary_problem(geometry)
        if problem:
            problems.append(f"{label}：{problem}")
            continue
        assert isinstance(geometry, dict)
        geom = location.geometry(geometry)
        if not shapely.is_valid(geom):
            problems.append(f"{label}：{_why_invalid(geom)}。")
            continue
        if area is None:
            continue
        if area.kind == AreaKind.DISTRICT and by_code.get(area.code) is None:
            problems.append(f"{label}：不能新建区县。")
            continue
        if area.code in chosen:
            problems.append(f"{label}：区域 {area.code}（{area.name}）在文件里出现了不止一次。")
            continue
        chosen[area.code] = (area, geom, geometry)
    levels: dict[str, dict[str, tuple[Area, shapely.Geometry]]] = {}
    for a in by_code.values():
        if a.boundary and a.code not in chosen and boundary_problem(a.boundary) == "":
            levels.setdefault(a.kind, {})[a.code] = (a, location.geometry(a.boundary))
    for code, (a, geom, _) in chosen.items():
        levels.setdefault(a.kind, {})[code] = (a, geom)
    result = Imported()
    for shapes in levels.values():
        _overlaps(shapes, set(chosen), problems, result.warnings)
    if problems:
        raise BoundaryError(problems)
    for code, (a, geom, _) in chosen.items():
        parent = a.parent
        outer = levels.get(parent.kind, {}).get(parent.code) if parent is not None else None
        if parent is not None and outer is not None:
            outside = geom.difference(outer[1]).area
            if outside > OUTSIDE_SHARE * geom.area:
                result.warnings.append(f"“{a.name}”（{code}）约有 {outside / geom.area:.0%} 在上级“{parent.name}”的边界之外。")
    if dry_run:
        result.created = sum(1 for a, _, _ in chosen.values() if a.pk is None)
        result.updated = len(chosen) - result.created
        return result
    now = timezone.now()
    with transaction.atomic():
        changed = []
        for a, _, geometry in chosen.values():
            a.boundary, a.boundary_updated_at = geometry, now
            if a.pk is None:
                a.save()
                result.created += 1
            else:
                changed.append(a)
        Area.objects.bulk_update(changed, ["boundary", "boundary_updated_at"], batch_size=500)
        result.updated = len(changed)
    location.reset()
    return result


def boundaries_export(*, kinds: list[str] | None = None) -> dict:
    """Every area with a boundary as a FeatureCollection whose properties `boundaries_import` reads back."""
    areas = Area.objects.filter(boundary__isnull=False).select_related("parent").order_by("kind", "code")
    if kinds:
        areas = areas.filter(kind__in=kinds)
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": a.boundary,
         "properties": {"code": a.code, "name": a.name, "kind": a.kind, "parent": a.parent.code if a.parent else None}}
        for a in areas]}


ADDRESS_COLUMNS = {"道路": "road", "起始门牌号": "number_from", "终止门牌号": "number_to", "单双号": "parity",
                   "区域编码": "code", "说明": "note"}
PARITY = {p.label: p.value for p in Parity} | {"全部": Parity.ALL.value, "": Parity.ALL.value}


def _number(value: object, default: int) -> int | None:
    if value in (None, ""):
        return default
    try:
        number = int(float(str(value).strip()))
    except ValueError:
        return None
    return number if number >= 0 else None


def addresses_import(*, content: bytes, name: str, replace: bool = False) -> int:
    """The 门牌地址库 from a spreadsheet (道路, 起始门牌号, 终止门牌号, 单双号, 区域编码, 说明); all or nothing.
    With `replace` the roads in the file lose their old ranges first; returns how many ranges were written."""
    table = read_table(content, csv_ok=True, name=name)
    header = [ADDRESS_COLUMNS.get(h, "") for h in table.header]
    missing = [h for h, key in ADDRESS_COLUMNS.items() if key in {"road", "code"} and key not in header]
    if missing:
        raise BoundaryError([f"表头缺少“{'”“'.join(missing)}”列；可用的列：{'、'.join(ADDRESS_COLUMNS)}。"])
    areas = {a.code: a for a in Area.objects.filter(kind__in=[AreaKind.COMMUNITY, AreaKind.GRID, AreaKind.COMPOUND])}
    problems: list[str] = []
    rows: list[AddressRange] = []
    for line, values in table.rows:
        cell = {key: values[i] if i < len(values) else "" for i, key in enumerate(header) if key}
        road, code = str(cell.get("road", "")).strip(), str(cell.get("code", "")).strip()
        low, high = _number(cell.get("number_from"), 1), _number(cell.get("number_to"), 9999)
        parity = PARITY.get(str(cell.get("parity", "")).strip())
        wrong = []
        if not road:
            wrong.append("道路为空")
        if low is None or high is None:
            wrong.append("门牌号须是不小于 0 的整数")
        elif low > high:
            wrong.append("终止门牌号小于起始门牌号")
        if parity is None:
            wrong.append(f"单双号只能是 {'、'.join(p.label for p in Parity)}")
        if code not in areas:
            wrong.append(f"区域编码 {code or '（空）'} 不是社区、网格或小区的编码")
        if wrong:
            problems.append(f"第 {line} 行：{'；'.join(wrong)}。")
            continue
        assert low is not None and high is not None and parity is not None
        rows.append(AddressRange(road=road, number_from=low, number_to=high, parity=parity, area=areas[code],
                                 note=str(cell.get("note", "")).strip()[:200]))
    if problems:
        raise BoundaryError(problems)
    with transaction.atomic():
        if replace:
            AddressRange.objects.filter(road__in={r.road for r in rows}).delete()
        AddressRange.objects.bulk_create(rows, batch_size=500)
    location.reset()
    return len(rows)
