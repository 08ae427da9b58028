"""The demo's figures: facts and rollups computed from the events the generator wrote in bulk, and star
ratings. (The boundaries the map draws are org/demo.py's.)"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.core.files.base import ContentFile
from django.utils import timezone

from .facts import rebuild


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
    facts, _rows = rebuild()
    return facts + star_ratings(now, seed)
