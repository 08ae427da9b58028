"""A small registry in the cast's grid (瓜州路社区第一网格) and a client that posts as the patrol page does."""

from __future__ import annotations

import json
import uuid

from django.test import Client

from minqing.conftest import Cast
from minqing.grid import actions
from minqing.grid.models import Household
from minqing.lib.xlsx import workbook_bytes

HEADER = actions.REGISTRY_COLUMNS


def row(grid: str = "瓜州路社区第一网格", *, compound: str = "", address: str = "瓜州路 88 号", building: str = "1号楼",
        unit: str = "1", room: str = "101", kind: str = "住户", name: str = "", head: str = "张秀兰",
        phone: str = "13812345678", id_number: str = "", people: object = 3) -> list[object]:
    return [grid, compound, address, building, unit, room, kind, name, head, phone, id_number, people]


def xlsx(rows: list[list[object]], header: list[str] = HEADER) -> bytes:
    return workbook_bytes([("住户", header, rows)])


def registry(cast: Cast, households: int = 4) -> list[Household]:
    """`households` households in one building of grid A, and a shop (单位) downstairs."""
    rows = [row(room=f"{100 + i}", head=f"住户{i}", phone=f"1381234{i:04d}") for i in range(1, households + 1)]
    rows.append(row(unit="", room="底商1", kind="单位", name="便民超市", head="李老板", phone="0931-2600000", people=0))
    report = actions.registry_import(actor=cast.shequ, content=xlsx(rows))
    assert report.ok, report.errors
    return list(Household.objects.filter(grid=cast.grid_a).order_by("room"))


def client_for(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def post(client: Client, record: dict, photo=None):
    data = {"record": json.dumps(record)}
    if photo is not None:
        data["photo"] = photo
    return client.post("/grid/sync/", data)


def new_id() -> str:
    return str(uuid.uuid4())
