"""The demo's figures (facts and rollups computed from the events the generator wrote in bulk) and
schematic boundaries for the map: streets in a 3 × 3 block, communities in strips, grids in bands."""

from __future__ import annotations

import datetime as dt
import math
import random
from decimal import Decimal

from django.core.files.base import ContentFile
from django.utils import timezone

from minqing.org.models import Area, AreaKind

from .facts import rebuild

WEST, EAST, SOUTH, NORTH = 103.70, 103.88, 35.98, 36.10  # roughly where Qilihe lies


def _box(w: float, s: float, e: float, n: float) -> dict:
    return {"type": "Polygon", "coordinates": [[[round(w, 5), round(s, 5)], [round(e, 5), round(s, 5)],
                                               [round(e, 5), round(n, 5)], [round(w, 5), round(n, 5)],
                                               [round(w, 5), round(s, 5)]]]}


def boundaries() -> int:
    """Give every street, community and grid without a boundary a schematic one. Returns how many."""
    streets = list(Area.objects.filter(kind=AreaKind.STREET).order_by("code"))
    side = math.ceil(math.sqrt(len(streets))) or 1
    dx, dy = (EAST - WEST) / side, (NORTH - SOUTH) / side
    changed = []
    for i, street in enumerate(streets):
        w, n = WEST + (i % side) * dx, NORTH - (i // side) * dy
        box = (w, n - dy, w + dx, n)
        communities = list(Area.objects.filter(parent=street).order_by("code"))
        if street.boundary is None:
            street.boundary = _box(*box)
            changed.append(street)
        for j, community in enumerate(communities):
            cw = box[0] + j * dx / len(communities)
            cbox = (cw, box[1], cw + dx / len(communities), box[3])
            if community.boundary is None:
                community.boundary = _box(*cbox)
                changed.append(community)
            grids = list(Area.objects.filter(parent=community, kind=AreaKind.GRID).order_by("code"))
            for k, grid in enumerate(grids):
                gs = cbox[1] + k * dy / len(grids)
                if grid.boundary is None:
                    grid.boundary = _box(cbox[0], gs, cbox[2], gs + dy / len(grids))
                    changed.append(grid)
    Area.objects.bulk_update(changed, ["boundary"])
    return len(changed)


def star_ratings(now: dt.datetime, seed: int) -> int:
    """Last year's rating in force, this year's under way with about half the manual scores entered."""
    from minqing.accounts.models import User

    from . import stars
    from .models import IndicatorSource, StarScheme, StarScore

    admin = User.objects.filter(is_superuser=True).order_by("pk").first()
    if admin is None or StarScheme.objects.exists():
        return 0
    rng = random.Random(seed)
    evidence = b"%PDF-1.4\n% demo evidence\n"
    year = timezone.localdate(now).year
    n = 0
    for y, share in ((year - 1, 1.0), (year, 0.5)):
        scheme = stars.default_scheme(y)
        stars.scheme_start(scheme=scheme, actor=admin)
        manual = list(scheme.indicators.filter(source=IndicatorSource.MANUAL))
        for c in stars.communities():
            if rng.random() > share:
                continue
            base = rng.uniform(62, 98)
            for i in manual:
                points = min(float(i.max_score), round(float(i.max_score) * min(1.0, rng.gauss(base, 6) / 100), 1))
                score = StarScore(scheme=scheme, community=c, indicator=i, points=Decimal(str(max(points, 0))),
                                  note="演示：查阅台账并实地查看", entered_by=admin, entered_at=now, evidence_name="台账.pdf")
                score.evidence.save("demo.pdf", ContentFile(evidence), save=False)
                score.save()
                n += 1
        if share == 1.0:
            scheme = stars.publish(scheme=scheme, actor=admin)
            StarScheme.objects.filter(pk=scheme.pk).update(notice_until=now - dt.timedelta(days=1))
            stars.fix(scheme=StarScheme.objects.get(pk=scheme.pk), actor=admin)
    return n


def build(*, now: dt.datetime, seed: int) -> int:
    boundaries()
    facts, _rows = rebuild()
    return facts + star_ratings(now, seed)
