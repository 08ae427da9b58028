"""Boundaries and the gazetteer from files (manage.py areas): every problem named, nothing written unless all of
it is right, and what was imported is what requests are located by."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
import shapely
from django.core.management import CommandError, call_command

from minqing.lib.xlsx import workbook_bytes
from minqing.org import demo, location
from minqing.org.boundaries import BoundaryError, addresses_import, boundaries_export, boundaries_import
from minqing.org.models import AddressRange, Area, AreaKind


@pytest.fixture
def drawn(cast):
    demo.draw()
    location.reset()
    return cast


def _collection(*features: dict, crs: str | None = None) -> str:
    doc: dict = {"type": "FeatureCollection", "features": list(features)}
    if crs:
        doc["crs"] = {"type": "name", "properties": {"name": crs}}
    return json.dumps(doc)


def _feature(props: dict, geometry: dict) -> dict:
    return {"type": "Feature", "properties": props, "geometry": geometry}


def _square(w: float, s: float, size: float) -> dict:
    return {"type": "Polygon", "coordinates": [[[w, s], [w + size, s], [w + size, s + size], [w, s + size], [w, s]]]}


def _shape(area: Area) -> shapely.Geometry:
    return shapely.from_geojson(json.dumps(Area.objects.get(pk=area.pk).boundary))


def test_an_exported_district_imports_back_unchanged_and_without_warnings(drawn) -> None:
    exported = boundaries_export()
    with_boundary = Area.objects.filter(boundary__isnull=False).count()
    assert len(exported["features"]) == with_boundary > 100
    result = boundaries_import(data=json.dumps(exported))
    assert (result.updated, result.created, result.warnings) == (with_boundary, 0, [])
    grid = Area.objects.get(name="建西东路社区第一网格")
    assert _shape(grid).equals(shapely.from_geojson(json.dumps(
        next(f["geometry"] for f in exported["features"] if f["properties"]["code"] == grid.code))))


def test_a_new_boundary_is_what_points_are_located_by_at_once(drawn) -> None:
    grid, other = drawn.grid_a, drawn.grid_b
    inside_other = _shape(other).representative_point()
    # Swap the two grids' shapes: a point inside B's old shape now lies in A.
    data = _collection(_feature({"code": grid.code}, json.loads(shapely.to_geojson(_shape(other)))),
                       _feature({"code": other.code}, json.loads(shapely.to_geojson(_shape(grid)))))
    boundaries_import(data=data)
    assert location.point_area(inside_other.x, inside_other.y) == grid


def test_every_problem_is_named_and_nothing_is_written(drawn) -> None:
    grid = drawn.grid_a
    before = Area.objects.get(pk=grid.pk).boundary_updated_at
    bowtie = {"type": "Polygon", "coordinates": [[[103.80, 36.04], [103.81, 36.05], [103.81, 36.04],
                                                  [103.80, 36.05], [103.80, 36.04]]]}
    unclosed = {"type": "Polygon", "coordinates": [[[103.80, 36.04], [103.81, 36.04], [103.81, 36.05],
                                                    [103.80, 36.05]]]}
    data = _collection(
        _feature({"code": grid.code, "name": grid.name}, _square(104.5, 36.5, 0.001)),  # valid on its own
        _feature({"name": "自相交网格", "code": drawn.grid_b.code}, bowtie),
        _feature({"code": drawn.community_a.code}, unclosed),
        _feature({"code": "999999"}, _square(103.70, 36.00, 0.001)),
        _feature({"name": "没有这个社区"}, _square(103.70, 36.00, 0.001)),
        _feature({"code": grid.code}, {"type": "Point", "coordinates": [103.8, 36.0]}),
    )
    with pytest.raises(BoundaryError) as refused:
        boundaries_import(data=data)
    problems = refused.value.problems
    assert len(problems) == 5
    assert "第 2 个要素（自相交网格）" in problems[0] and "自相交" in problems[0] and "经度 103.805000" in problems[0]
    assert "第 3 个要素" in problems[1] and "闭合" in problems[1]
    assert "编码 999999 的区域不存在" in problems[2] and "--create" in problems[2]
    assert "找不到名为“没有这个社区”的区域" in problems[3]
    assert "第 6 个要素" in problems[4] and "Polygon" in problems[4]
    assert Area.objects.get(pk=grid.pk).boundary_updated_at == before


def test_two_areas_of_one_level_may_not_overlap(drawn) -> None:
    a, b = drawn.grid_a, drawn.grid_b
    grown = shapely.to_geojson(_shape(a).buffer(0.0005))  # ~50 m into every neighbour, B among them if adjacent
    data = _collection(_feature({"code": a.code}, json.loads(grown)))
    with pytest.raises(BoundaryError) as refused:
        boundaries_import(data=data)
    assert all("重叠" in p and a.code in p and "平方米" in p for p in refused.value.problems)
    # Its neighbours are named, whichever they are; a grid overlapping its own community is no conflict.
    neighbours = [g for g in Area.objects.filter(kind=AreaKind.GRID).exclude(pk=a.pk) if g.boundary
                  and _shape(g).intersection(shapely.from_geojson(grown)).area > 0]
    assert len(refused.value.problems) == len(neighbours) >= 1
    assert b.kind == AreaKind.GRID


def test_new_areas_with_create_and_a_warning_when_outside_the_parent(drawn) -> None:
    community = drawn.community_a
    far = _square(104.5, 36.5, 0.002)  # nowhere near its community
    data = _collection(_feature({"code": "62010399900101", "name": "新建网格", "kind": "网格", "parent": community.code},
                                far))
    with pytest.raises(BoundaryError):
        boundaries_import(data=data)  # without --create an unknown code is refused
    result = boundaries_import(data=data, create=True)
    grid = Area.objects.get(code="62010399900101")
    assert (grid.name, grid.kind, grid.parent, result.created) == ("新建网格", AreaKind.GRID, community, 1)
    assert result.warnings and "100%" in result.warnings[0] and community.name in result.warnings[0]
    assert location.point_area(104.501, 36.501) == grid


def test_projected_coordinates_and_broken_json_are_refused_with_the_fix(drawn) -> None:
    with pytest.raises(BoundaryError, match="EPSG:4326.*ogr2ogr"):
        boundaries_import(data=_collection(_feature({"code": drawn.grid_a.code}, _square(103.7, 36.0, 0.01)),
                                           crs="urn:ogc:def:crs:EPSG::4549"))
    with pytest.raises(BoundaryError, match="第 1 行第 2 列"):
        boundaries_import(data="{oops")


def test_the_command_imports_checks_and_exports(drawn, tmp_path: Path) -> None:
    out = tmp_path / "areas.geojson"
    call_command("areas", "export", "--kind", "grid", "-o", str(out))
    kinds = {f["properties"]["kind"] for f in json.loads(out.read_text(encoding="utf-8"))["features"]}
    assert kinds == {AreaKind.GRID}
    stdout = io.StringIO()
    call_command("areas", "import", str(out), "--dry-run", stdout=stdout)
    assert "检查通过（未写入）" in stdout.getvalue()
    bad = tmp_path / "bad.geojson"
    bad.write_text(_collection(_feature({"code": "nope"}, _square(103.7, 36.0, 0.01))), encoding="utf-8")
    with pytest.raises(CommandError, match="编码 nope 的区域不存在"):
        call_command("areas", "import", str(bad))
    with pytest.raises(CommandError, match="找不到文件"):
        call_command("areas", "import", str(tmp_path / "missing.geojson"))


def test_gazetteer_from_a_spreadsheet_all_or_nothing(drawn) -> None:
    header = ["道路", "起始门牌号", "终止门牌号", "单双号", "区域编码", "说明"]
    good = [["桃园巷", 1, 99, "单号", drawn.grid_a.code, ""], ["桃园巷", 2, 98, "双号", drawn.grid_b.code, "东侧"]]
    bad = [*good, ["", "x", 5, "隔号", "000", ""]]
    with pytest.raises(BoundaryError) as refused:
        addresses_import(content=workbook_bytes([("门牌", header, bad)]), name="门牌.xlsx")
    (problem,) = refused.value.problems
    assert problem.startswith("第 4 行") and all(w in problem for w in ("道路为空", "门牌号", "单双号", "区域编码 000"))
    assert not AddressRange.objects.filter(road="桃园巷").exists()
    n = addresses_import(content=workbook_bytes([("门牌", header, good)]), name="门牌.xlsx")
    assert n == 2
    assert location.locate(address="桃园巷7号").area == drawn.grid_a
    assert location.locate(address="桃园巷8号").area == drawn.grid_b
    csv = "道路,区域编码\n桃园巷," + drawn.grid_a.code + "\n"
    assert addresses_import(content=csv.encode(), name="门牌.csv", replace=True) == 1
    assert location.locate(address="桃园巷8号").area == drawn.grid_a
