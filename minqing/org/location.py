"""Where a request happened: a point or an address → the community and grid it lies in (定位).

`locate()` is the one function every intake channel goes through (tickets/actions/intake.py calls it before
the write transaction opens). In order:

1. an area the reporter or worker picked (a community, grid or compound) is kept; a point inside one of its
   grids refines a community to that grid;
2. a point (WGS84 longitude/latitude) inside an area's boundary: point-in-polygon against every boundary,
   through a shapely STRtree, so a lookup costs the same with ten grids or ten thousand;
3. an address: the gazetteer (门牌地址库: road + house-number range, odd/even sides → grid), then the names
   of compounds, grids and communities written in the text, narrowed by a street name written there;
4. nothing found: the district itself, `pending` (位置待核实): the request is registered all the same and
   goes to the district centre, whose staff set the place (nothing is refused for want of a place).

The boundaries and the gazetteer are read once per process into an index and kept; it is rebuilt when the
areas' `boundary_updated_at` or the gazetteer's rows change (checked at most every
MINQING["LOCATION_RECHECK_SECONDS"] seconds; at once in the process that saved them, through signals).
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

import shapely
from django.conf import settings
from django.db.models import Count, Max
from django.db.models.signals import post_delete, post_save

from minqing.lib.errors import ActionError

from .models import AddressRange, Area, AreaKind

# The deepest level wins: a point inside a compound's boundary is in that compound, else its grid, …
DEPTH = {AreaKind.COMPOUND: 4, AreaKind.GRID: 3, AreaKind.COMMUNITY: 2, AreaKind.STREET: 1, AreaKind.DISTRICT: 0}
PLACED = {AreaKind.COMMUNITY, AreaKind.GRID, AreaKind.COMPOUND}  # deep enough to hand to a community office
NUMBER = re.compile(r"\s*(?:[0-9]+弄\s*)?([0-9]{1,5})(?:\s*[-－—之]\s*[0-9]+)?\s*号")
QUANTUM = Decimal("0.000001")


@dataclass(frozen=True)
class Place:
    """Where a request is: `area` is never None (the district when nothing matched, then `pending`)."""

    area: Area
    how: str  # 所选区域, 坐标, 门牌地址库, 地名, "" (nothing matched)
    pending: bool = False
    latitude: Decimal | None = None
    longitude: Decimal | None = None
    note: str = ""  # why it is pending, or how it was found, in Chinese


@dataclass
class _Index:
    stamp: tuple
    district: Area | None
    areas: dict[int, Area]  # every street, community, grid and compound, with its parents loaded
    tree: shapely.STRtree | None
    tree_ids: list[int]
    roads: list[tuple[str, list[AddressRange]]]  # longest road name first
    names: list[Area]  # compounds, grids, communities: most precise first
    streets: list[Area] = field(default_factory=list)
    checked: float = field(default_factory=time.monotonic)


_lock = threading.Lock()
_index: _Index | None = None


def _stamp() -> tuple:
    areas = Area.objects.filter(boundary__isnull=False).aggregate(n=Count("pk"), at=Max("boundary_updated_at"))
    ranges = AddressRange.objects.aggregate(n=Count("pk"), at=Max("updated_at"))
    return areas["n"], areas["at"], ranges["n"], ranges["at"], Area.objects.count()


def geometry(boundary: dict) -> shapely.Geometry:
    """A GeoJSON Polygon/MultiPolygon as a shapely geometry (callers check it with org.models.boundary_problem)."""
    return shapely.from_geojson(_json(boundary))


def _json(value: dict) -> str:
    import json

    return json.dumps(value)


def _build(stamp: tuple) -> _Index:
    areas = {a.pk: a for a in Area.objects.select_related("parent__parent__parent__parent")}
    district = next((a for a in areas.values() if a.kind == AreaKind.DISTRICT), None)
    shapes, ids = [], []
    for area in areas.values():
        if area.boundary and area.kind != AreaKind.DISTRICT:
            try:
                shape = geometry(area.boundary)
            except shapely.errors.GEOSException:
                continue  # an unreadable boundary is skipped (the admin form and the import refuse them)
            shapes.append(shape)
            ids.append(area.pk)
    by_road: dict[str, list[AddressRange]] = {}
    for row in AddressRange.objects.order_by("number_from", "pk"):
        row.area = areas.get(row.area_id, row.area)  # shared instances, parents loaded
        by_road.setdefault(row.road.strip(), []).append(row)
    names = sorted((a for a in areas.values() if a.kind in PLACED and a.name),
                   key=lambda a: (-DEPTH[AreaKind(a.kind)], -len(a.name), a.code))
    tree = shapely.STRtree(shapes) if shapes else None
    if tree is not None:
        shapely.prepare(shapes)
    return _Index(stamp=stamp, district=district, areas=areas, tree=tree, tree_ids=ids,
                  roads=sorted(by_road.items(), key=lambda kv: -len(kv[0])), names=names,
                  streets=[a for a in areas.values() if a.kind == AreaKind.STREET and a.name])


def index() -> _Index:
    """The process's index, rebuilt when boundaries or the gazetteer changed."""
    global _index
    current = _index
    recheck = settings.MINQING.get("LOCATION_RECHECK_SECONDS", 30)
    if current is not None and time.monotonic() - current.checked < recheck:
        return current
    with _lock:
        current = _index
        if current is not None and time.monotonic() - current.checked < recheck:
            return current
        stamp = _stamp()
        if current is not None and current.stamp == stamp:
            current.checked = time.monotonic()
            return current
        _index = _build(stamp)
        return _index


def reset(**_: object) -> None:
    """Forget the index (after a boundary or gazetteer change in this process; tests)."""
    global _index
    _index = None


post_save.connect(reset, sender=Area, dispatch_uid="location-area-saved")
post_delete.connect(reset, sender=Area, dispatch_uid="location-area-deleted")
post_save.connect(reset, sender=AddressRange, dispatch_uid="location-range-saved")
post_delete.connect(reset, sender=AddressRange, dispatch_uid="location-range-deleted")


# --- parts -----------------------------------------------------------------------------------
def coordinates(latitude: object, longitude: object) -> tuple[Decimal, Decimal] | None:
    """Untrusted latitude/longitude → two Decimals with 6 places, None when both are empty; ActionError (in
    Chinese) when one is missing or not a coordinate."""
    lat, lon = (str(v).strip() if v is not None else "" for v in (latitude, longitude))
    if not lat and not lon:
        return None
    if not lat or not lon:
        raise ActionError("纬度和经度要同时提供（lat 和 long）。", field="latitude" if not lat else "longitude")
    try:
        values = Decimal(lat), Decimal(lon)
    except InvalidOperation:
        raise ActionError(f"坐标“{lat[:20]}, {lon[:20]}”不是数字，应为十进制度，例如 纬度 36.06、经度 103.80。",
                          field="latitude") from None
    if not all(v.is_finite() for v in values):
        raise ActionError("坐标必须是有限的数字。", field="latitude")
    if not -90 <= values[0] <= 90:
        raise ActionError(f"纬度 {lat[:20]} 超出范围（-90～90）。", field="latitude")
    if not -180 <= values[1] <= 180:
        raise ActionError(f"经度 {lon[:20]} 超出范围（-180～180）。", field="longitude")
    return values[0].quantize(QUANTUM), values[1].quantize(QUANTUM)


def point_area(longitude: float, latitude: float) -> Area | None:
    """The deepest area whose boundary covers the point (a point on a shared edge: the lower code), or None."""
    idx = index()
    if idx.tree is None:
        return None
    hits = idx.tree.query(shapely.Point(longitude, latitude), predicate="covered_by")
    found = [idx.areas[idx.tree_ids[i]] for i in hits]
    if not found:
        return None
    return max(found, key=lambda a: (DEPTH[AreaKind(a.kind)], _neg(a.code)))


def place_at(*, latitude: object, longitude: object) -> dict[str, Area]:
    """The areas (keyed by kind) an untrusted WGS84 point lies in; empty outside every boundary; ActionError
    when it is not a coordinate."""
    point = coordinates(latitude, longitude)
    area = point_area(float(point[1]), float(point[0])) if point else None
    return area.ancestors() if area is not None else {}


def _neg(code: str) -> tuple[int, ...]:
    return tuple(-ord(c) for c in code)


def _within(area: Area, street: Area | None) -> bool:
    return street is None or area.ancestors().get(AreaKind.STREET) == street


def address_area(text: str) -> tuple[Area | None, str]:
    """The area an address names: the gazetteer (road + number), then names in the text. Returns how."""
    text = (text or "").strip()
    if not text:
        return None, ""
    idx = index()
    street = next((a for a in idx.streets if a.name in text), None)
    roads: list[Area] = []  # roads named without a number in any range: their community, after the names
    for road, ranges in idx.roads:
        at = text.find(road)
        if at < 0:
            continue
        rows = [r for r in ranges if _within(r.area, street)] or ranges
        match = NUMBER.match(text, at + len(road))
        if match:
            number = int(match[1])
            hit = next((r for r in rows if r.covers(number)), None)
            if hit is not None:
                return hit.area, "门牌地址库"
        communities = {r.area.ancestors().get(AreaKind.COMMUNITY) for r in rows}
        if len(communities) == 1 and None not in communities:
            roads.append(communities.pop())  # type: ignore[arg-type]
    for area in idx.names:
        if area.name in text and _within(area, street):
            return area, "地名"
    if roads:
        return roads[0], "门牌地址库（道路）"
    for area in idx.names:  # “建西东路社区” written as “建西东路”
        stem = area.name.removesuffix("社区")
        if area.kind == AreaKind.COMMUNITY and len(stem) >= 2 and stem != area.name and stem in text and _within(area, street):
            return area, "地名"
    return None, ""


def _refine(area: Area, point: Area | None) -> Area:
    """A picked community refined to the grid (or compound) the point lies in, when that is inside it."""
    if point is None or DEPTH[AreaKind(point.kind)] <= DEPTH[AreaKind(area.kind)]:
        return area
    return point if point.ancestors().get(AreaKind(area.kind)) == area else area


def district() -> Area:
    found = index().district
    if found is None:
        raise ActionError("系统还没有设置区级区域，请联系管理员。", field="area")
    return found


def locate(*, area: Area | None = None, latitude: object = None, longitude: object = None, address: str = "") -> Place:
    """Where a request is, from what the channel has (see the module's docstring). Raises ActionError only for
    coordinates that are not coordinates; a place that cannot be found is `pending`, never refused."""
    point = coordinates(latitude, longitude)
    lat, lon = point if point else (None, None)
    in_point = point_area(float(point[1]), float(point[0])) if point else None
    if in_point is not None and in_point.kind not in PLACED:
        in_point = None  # inside a street's boundary but no community's: not enough to hand it to an office
    if area is not None and area.kind in PLACED:
        return Place(area=_refine(area, in_point), how="所选区域", latitude=lat, longitude=lon)
    if in_point is not None:
        return Place(area=in_point, how="坐标", latitude=lat, longitude=lon)
    found, how = address_area(address)
    if found is not None:
        note = "坐标不在本区任何网格内，按地址定位" if point else ""
        return Place(area=found, how=how, latitude=lat, longitude=lon, note=note)
    reasons = []
    if point:
        reasons.append(f"坐标（{lat}, {lon}）不在本区任何社区、网格的边界内")
    if address.strip():
        reasons.append(f"地址“{address.strip()[:60]}”在门牌地址库和地名中都没有找到")
    if not reasons:
        reasons.append("没有提供地点")
    return Place(area=district(), how="", pending=True, latitude=lat, longitude=lon, note="；".join(reasons))
