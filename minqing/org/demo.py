"""The demo district's boundaries, gazetteer and request coordinates.

The boundaries sit where Qilihe lies (about 103.75–103.85 E, 36.02–36.08 N) and are drawn, not surveyed:
an outline, cut into streets, communities and grids by Voronoi cells around seed points (so siblings share
their edges and never overlap). They are NOT real cadastral or administrative boundaries.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from decimal import Decimal

import shapely
from django.db.models import Q
from django.db.models.functions import Mod
from django.utils import timezone

from .models import AddressRange, Area, AreaKind, Parity

# A hand-drawn outline of the district's built-up part, lon/lat.
OUTLINE = [(103.752, 36.046), (103.760, 36.060), (103.771, 36.071), (103.786, 36.078), (103.803, 36.079),
           (103.820, 36.075), (103.836, 36.070), (103.848, 36.062), (103.849, 36.048), (103.842, 36.034),
           (103.828, 36.024), (103.808, 36.021), (103.788, 36.023), (103.770, 36.029), (103.757, 36.036),
           (103.752, 36.046)]
# Street seeds, roughly where each street's office is (west → east, north → south).
STREET_SEEDS = {"西站街道": (103.792, 36.062), "西湖街道": (103.806, 36.068), "敦煌路街道": (103.780, 36.068),
                "西园街道": (103.822, 36.063), "建兰路街道": (103.808, 36.052), "秀川街道": (103.766, 36.052),
                "土门墩街道": (103.780, 36.046), "龚家湾街道": (103.795, 36.032), "晏家坪街道": (103.826, 36.038)}
# One road whose two sides lie in different communities (the gazetteer's odd/even ranges).
SPLIT_ROAD = ("西津西路", "西园社区", "建兰路社区")


def _geojson(geom: shapely.Geometry) -> dict:
    return json.loads(shapely.to_geojson(geom))


def _seeds(polygon: shapely.Geometry, n: int, rng: random.Random) -> list[tuple[float, float]]:
    """n points spread over a polygon: random points inside it, moved twice to their cells' centroids."""
    w, s, e, north = polygon.bounds
    points: list[tuple[float, float]] = []
    while len(points) < n:
        p = (rng.uniform(w, e), rng.uniform(s, north))
        if polygon.contains(shapely.Point(p)):
            points.append(p)
    for _ in range(2):
        cells = _cells(polygon, points)
        points = [(c.centroid.x, c.centroid.y) for c in cells]
    return points


def _cells(polygon: shapely.Geometry, points: list[tuple[float, float]]) -> list[shapely.Geometry]:
    if len(points) == 1:
        return [polygon]
    diagram = shapely.voronoi_polygons(shapely.MultiPoint(points), extend_to=polygon, ordered=True)
    return [shapely.make_valid(cell.intersection(polygon)) for cell in diagram.geoms]


def _polygonal(geom: shapely.Geometry) -> shapely.Geometry:
    """Only the polygons of an intersection (a touching edge comes back as a line)."""
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [g for g in getattr(geom, "geoms", []) if g.geom_type == "Polygon"]
    return shapely.MultiPolygon(parts) if len(parts) > 1 else parts[0]


def draw(*, seed: int = 7) -> int:
    """Give the district, its streets, communities and grids drawn boundaries (replacing what they had), and the
    gazetteer its demo roads. Returns how many areas were drawn."""
    rng = random.Random(seed)
    now = timezone.now()
    district = Area.objects.filter(kind=AreaKind.DISTRICT).first()
    if district is None:
        return 0
    outline = shapely.Polygon(OUTLINE)
    changed: list[Area] = []

    def put(area: Area, geom: shapely.Geometry) -> None:
        area.boundary, area.boundary_updated_at = _geojson(_polygonal(geom)), now
        changed.append(area)

    put(district, outline)
    streets = list(Area.objects.filter(parent=district, kind=AreaKind.STREET).order_by("code"))
    seeds = [STREET_SEEDS.get(s.name) or _seeds(outline, 1, rng)[0] for s in streets]
    for street, cell in zip(streets, _cells(outline, seeds), strict=True):
        put(street, cell)
        communities = list(Area.objects.filter(parent=street, kind=AreaKind.COMMUNITY).order_by("code"))
        for community, ccell in zip(communities, _cells(cell, _seeds(cell, len(communities), rng)), strict=True):
            put(community, ccell)
            grids = list(Area.objects.filter(parent=community, kind=AreaKind.GRID).order_by("code"))
            if grids:
                for grid, gcell in zip(grids, _cells(ccell, _seeds(ccell, len(grids), rng)), strict=True):
                    put(grid, gcell)
    Area.objects.bulk_update(changed, ["boundary", "boundary_updated_at"])
    gazetteer()
    return len(changed)


def road_of(community: Area) -> str:
    stem = community.name.removesuffix("社区")
    return stem if stem.endswith(("路", "街", "巷")) else f"{stem}路"


def gazetteer() -> int:
    """Demo roads: each community's road, numbered along its grids (50 numbers each); one road whose odd side
    lies in one community and even side in another."""
    AddressRange.objects.all().delete()
    rows = []
    for community in Area.objects.filter(kind=AreaKind.COMMUNITY).order_by("code"):
        grids = list(Area.objects.filter(parent=community, kind=AreaKind.GRID).order_by("code")) or [community]
        for k, grid in enumerate(grids):
            rows.append(AddressRange(road=road_of(community), number_from=k * 50 + 1, number_to=(k + 1) * 50,
                                     area=grid, note="演示数据"))
    road, odd, even = SPLIT_ROAD
    sides = {a.name: a for a in Area.objects.filter(kind=AreaKind.COMMUNITY, name__in=[odd, even])}
    if len(sides) == 2:
        for name, parity in ((odd, Parity.ODD), (even, Parity.EVEN)):
            grid = Area.objects.filter(parent=sides[name], kind=AreaKind.GRID).order_by("code").first() or sides[name]
            rows.append(AddressRange(road=road, number_from=1, number_to=399, parity=parity, area=grid, note="演示数据"))
    AddressRange.objects.bulk_create(rows)
    return len(rows)


def points_in(boundary: dict, n: int, rng: random.Random) -> list[tuple[float, float]]:
    """n random (lon, lat) points inside a boundary."""
    polygon = shapely.from_geojson(json.dumps(boundary))
    w, s, e, north = polygon.bounds
    shapely.prepare(polygon)
    found: list[tuple[float, float]] = []
    for _ in range(n * 200):
        p = (round(rng.uniform(w, e), 6), round(rng.uniform(s, north), 6))
        if polygon.contains(shapely.Point(p)):
            found.append(p)
            if len(found) == n:
                break
    return found


def place_requests(*, seed: int, share: int = 14, buckets: int = 20) -> int:
    """Give the demo's requests coordinates inside their grid (or community): `share` of every `buckets`
    requests (the rest came by phone or letter, without a point). One UPDATE per grid and bucket, so a million
    requests take seconds."""
    from minqing.tickets.models import Ticket

    rng = random.Random(seed)
    n = 0
    for area in Area.objects.filter(kind__in=[AreaKind.GRID, AreaKind.COMMUNITY], boundary__isnull=False).order_by("code"):
        column = Q(grid=area) if area.kind == AreaKind.GRID else Q(community=area, grid=None)
        points = points_in(area.boundary, share, rng)
        for k, (lon, lat) in enumerate(points):
            n += Ticket.objects.filter(column).alias(bucket=Mod("id", buckets)).filter(bucket=k).update(
                latitude=Decimal(f"{lat:.6f}"), longitude=Decimal(f"{lon:.6f}"))
    return n


def build(*, now: dt.datetime, seed: int) -> int:
    drawn = draw(seed=seed)
    return drawn + place_requests(seed=seed)
