"""考核评价 pages: the dashboard for the viewer's scope, the metrics table, rankings, the map, and the
requests behind every figure. Figures come from figures.py; scope rules from scope_filters below."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from minqing.accounts.scope import Scope, scope_for
from minqing.lib.db import reporting
from minqing.lib.validation import parse_id
from minqing.lib.xlsx import percent, table_xlsx, workbook_bytes, xlsx_response
from minqing.org.models import Area, AreaKind, Unit, UnitKind
from minqing.tickets.models import Brand, Category, Channel
from minqing.tickets.queries import visible_tickets

from . import reports
from .figures import (
    PERIOD_KINDS,
    Figures,
    Period,
    figures,
    funnel,
    overdue_now,
    parse_period,
    scope_q,
    totals,
    trend,
    with_medians,
)
from .metrics import LOWER_BETTER, METRIC, METRICS, ONLY, RANKABLE, Metric, cell, fmt
from .models import Fact, FactKind


# --- who sees what ---------------------------------------------------------------------------------
@dataclass
class Allowed:
    """The part of the district a viewer may look at, as figure filters, and what they may pick from."""

    level: str  # district, street, community, grid, unit
    base: dict[str, list[int]]
    streets: list[Area] = field(default_factory=list)
    communities: list[Area] = field(default_factory=list)
    grids: list[Area] = field(default_factory=list)
    units: list[Unit] = field(default_factory=list)


def allowed_for(scope: Scope) -> Allowed:
    """District staff see the whole district, a street officer their streets, community staff their
    communities, a grid worker their grids, a unit its own work. Everyone else: 404."""
    areas = Area.objects.filter(kind__in=[AreaKind.STREET, AreaKind.COMMUNITY, AreaKind.GRID]).order_by("code")
    if scope.district or scope.admin:
        al = list(areas)
        return Allowed("district", {}, [a for a in al if a.kind == AreaKind.STREET],
                       [a for a in al if a.kind == AreaKind.COMMUNITY], [a for a in al if a.kind == AreaKind.GRID],
                       list(Unit.objects.order_by("kind", "name")))
    # The callback team (回访员) sees the figures of what it calls back: the district, or its streets.
    if scope.callback_district:
        return allowed_for(Scope(user=scope.user, loaded_roles=[], district=True))
    streets = scope.street_ids or scope.callback_street_ids
    if streets:
        communities = list(areas.filter(kind=AreaKind.COMMUNITY, parent__in=streets))
        return Allowed("street", {"street": sorted(streets)}, list(areas.filter(pk__in=streets)),
                       communities, list(areas.filter(kind=AreaKind.GRID, parent__in=communities)),
                       list(Unit.objects.order_by("kind", "name")))
    if scope.community_ids:
        return Allowed("community", {"community": sorted(scope.community_ids)}, [],
                       list(areas.filter(pk__in=scope.community_ids)),
                       list(areas.filter(kind=AreaKind.GRID, parent__in=scope.community_ids)))
    if scope.grid_ids:
        return Allowed("grid", {"grid": sorted(scope.grid_ids)}, grids=list(areas.filter(pk__in=scope.grid_ids)))
    if scope.unit_ids:
        return Allowed("unit", {"unit": sorted(scope.unit_ids)}, units=list(Unit.objects.filter(pk__in=scope.unit_ids)))
    raise Http404


@dataclass
class Query:
    """A page's period and scope, read from the query string and checked against what the viewer may see."""

    scope: Scope
    allowed: Allowed
    period: Period
    filters: dict[str, Any]
    picked: dict[str, str]  # the valid parameters as given, for links and the form
    problems: list[str]

    @property
    def level(self) -> str:
        """The most specific area or unit picked, else the viewer's own level."""
        return next((n for n in ("grid", "community", "street", "unit") if self.picked.get(n)), self.allowed.level)

    def scope_name(self, names: dict[str, dict[Any, str]]) -> str:
        if self.level == "district":
            return "七里河区"
        value = self.filters[self.level]
        return "、".join(names[self.level].get(v, "") for v in (value if isinstance(value, list) else [value]))

    def params(self, **extra: object) -> str:
        values = {**self.picked, **{k: v for k, v in extra.items() if v not in (None, "")}}
        return urlencode(values)

    def link(self, metric: Metric, **extra: object) -> str:
        if metric.fact is None:
            return ""
        return f"{reverse('evaluation_requests')}?{self.params(fact=metric.fact, only=metric.only, **extra)}"


def _overdue_link(q: Query) -> str:
    """The overdue queue, narrowed to what the figure counted: the same rule (tickets.queries.overdue_rule)
    over the same scope, so the page lists exactly the requests behind the number."""
    picked = {k: v for k, v in q.picked.items() if k in {"street", "community", "grid", "unit"}}
    return reverse("queue", args=["overdue"]) + (f"?{urlencode(picked)}" if picked else "")


def read_query(request: HttpRequest) -> Query:
    scope = scope_for(request.user)
    allowed = allowed_for(scope)
    today = timezone.localdate()
    period, problem = parse_period(request.GET, today=today)
    problems = [problem] if problem else []
    picked: dict[str, str] = {"period": period.kind}
    if period.kind == "custom":
        picked.update(start=period.start.isoformat(), end=period.end.isoformat())
    else:
        picked["date"] = period.start.isoformat()
    filters: dict[str, Any] = dict(allowed.base)
    choices = {"street": allowed.streets, "community": allowed.communities, "grid": allowed.grids,
               "unit": allowed.units}
    for name, options in choices.items():
        raw = request.GET.get(name)
        if not raw:
            continue
        pk = parse_id(raw)
        if pk is None or pk not in {o.pk for o in options}:
            problems.append("所选区域或单位不存在，或不在您的工作范围内，已忽略。")
            continue
        filters[name] = pk
        picked[name] = str(pk)
    for name in ("parent", "category"):
        raw = request.GET.get(name)
        if raw:
            pk = parse_id(raw)
            if pk is None or not Category.objects.filter(pk=pk, parent__isnull=(name == "parent")).exists():
                problems.append("所选分类不存在，已忽略。")
                continue
            filters[name], picked[name] = pk, str(pk)
    for name, values in (("brand", Brand.values), ("channel", Channel.values)):
        raw = request.GET.get(name)
        if raw:
            if raw not in values:
                problems.append("所选服务品牌或渠道不存在，已忽略。")
                continue
            filters[name], picked[name] = raw, raw
    for p in dict.fromkeys(problems):
        messages.error(request, p)
    return Query(scope, allowed, period, filters, picked, problems)


def _names() -> dict[str, dict[Any, str]]:
    return {
        "street": dict(Area.objects.filter(kind=AreaKind.STREET).values_list("pk", "name")),
        "community": dict(Area.objects.filter(kind=AreaKind.COMMUNITY).values_list("pk", "name")),
        "grid": dict(Area.objects.filter(kind=AreaKind.GRID).values_list("pk", "name")),
        "unit": dict(Unit.objects.values_list("pk", "name")),
        "category": {c.pk: str(c) for c in Category.objects.select_related("parent").filter(parent__isnull=False)},
        "parent": dict(Category.objects.filter(parent__isnull=True).values_list("pk", "name")),
        "brand": dict(Brand.choices),
        "channel": dict(Channel.choices),
    }


GROUP_LABELS = {"street": "街道", "community": "社区", "grid": "网格", "unit": "承办单位", "parent": "一级分类",
                "category": "二级分类", "brand": "服务品牌", "channel": "来源渠道"}


def _cells(q: Query, f: Figures, **extra: object) -> list[tuple[str, str]]:
    return [(fmt(m, f.metric(m.name)), q.link(m, **extra)) for m in METRICS]


def _form_context(q: Query) -> dict[str, Any]:
    return {"q": q, "period_kinds": PERIOD_KINDS.items(), "brands": Brand.choices, "channels": Channel.choices,
            "parents": Category.objects.filter(parent__isnull=True).order_by("sort"),
            "group_labels": GROUP_LABELS, "metrics": METRICS, "can_rank": bool(rank_levels(q))}


# --- pages ---------------------------------------------------------------------------------------------
SUB_LEVEL = {"district": "street", "street": "community", "community": "grid", "grid": "category", "unit": "category"}


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    """The landing page of 考核评价: the viewer's own scope, or a street, community or unit they pick."""
    q = read_query(request)
    names = _names()
    total = figures(q.filters, q.period)
    level = q.level
    sub = SUB_LEVEL[level]
    series = trend(q.filters, q.period)
    trend_chart = {"labels": [label for label, _ in series], "received": [f.received for _, f in series],
                   "resolved": [f.resolved for _, f in series]}
    stages = [(label, count, f"{reverse('evaluation_requests')}?{q.params(fact=fact)}")
              for label, count, fact in funnel(q.filters, q.period)]
    subs = totals(q.filters, q.period, by=sub)
    sub_rows = sorted(((names[sub].get(k, "—"), k, f) for k, f in subs.items() if k is not None),
                      key=lambda r: -(r[2].composite or 0))
    by_sub = {
        "labels": [r[0] for r in sub_rows],
        "composite": [round(r[2].composite, 2) if r[2].composite is not None else None for r in sub_rows],
        "received": [r[2].received for r in sub_rows],
        "urls": [f"{reverse('evaluation')}?{q.params(**{sub: r[1]})}" if sub in {"street", "community", "grid"}
                 else q.link(METRIC["received"], **{sub: r[1]}) for r in sub_rows],
    }
    cats = sorted(totals(q.filters, q.period, by="category").items(), key=lambda kv: -kv[1].received)[:10]
    top = {"labels": [names["category"].get(k, "—") for k, _ in cats], "values": [f.received for _, f in cats],
           "urls": [q.link(METRIC["received"], category=k) for k, _ in cats]}
    heat = None
    if level in {"district", "street"}:
        cells = totals(q.filters, q.period, by=("community", "parent"))
        parents = list(Category.objects.filter(parent__isnull=True).order_by("sort"))
        street = q.filters.get("street")
        streets = street if isinstance(street, list) else [street]
        communities = [c for c in q.allowed.communities if level == "district" or c.parent_id in streets]
        heat = {"cols": [p.name for p in parents], "rows": [], "max": 1}
        for c in communities:
            row = []
            for p in parents:
                f = cells.get((c.pk, p.pk))
                n = f.received if f else 0
                heat["max"] = max(heat["max"], n)
                row.append((n, q.link(METRIC["received"], community=c.pk, parent=p.pk)))
            heat["rows"].append((c.name, row))
        for _, row in heat["rows"]:
            for i, (n, url) in enumerate(row):
                row[i] = (n, url, round(n / heat["max"], 2))
    if request.GET.get("format") == "xlsx":
        sheets = [(f"按{GROUP_LABELS[sub]}", [GROUP_LABELS[sub], *[m.label for m in METRICS]],
                   [[n, *[cell(m, f.metric(m.name)) for m in METRICS]] for n, _, f in sub_rows]),
                  ("走势", ["时间", "收到", "办结"], [(label, f.received, f.resolved) for label, f in series]),
                  ("高频分类", ["事项分类", "诉求件数"], zip(top["labels"], top["values"], strict=True))]
        if heat:
            sheets.append(("社区×分类", ["社区", *heat["cols"]], [[n, *[c[0] for c in row]] for n, row in heat["rows"]]))
        return xlsx_response(workbook_bytes(sheets), f"考核评价-{q.period.label}.xlsx")
    # The composite has no requests of its own: it links to the table of its parts.
    cards = [(m, fmt(m, total.metric(m.name)), q.link(m) or f"{reverse('evaluation_metrics')}?{q.params()}") for m in METRICS
             if m.name in {"received", "response_rate", "ontime_rate", "solve_rate", "satisfaction_rate", "composite",
                           "avg_hours", "median_hours"}]
    title = {"district": "全区总览", "street": "街道视图", "community": "社区视图", "grid": "网格视图",
             "unit": "单位视图"}[level]
    return render(request, "evaluation/dashboard.html", {
        **_form_context(q), "title": title, "scope_name": q.scope_name(names), "total": total, "cards": cards,
        "overdue_now": overdue_now(q.filters), "overdue_link": _overdue_link(q), "charts": {"trend": trend_chart, "by_sub": by_sub, "top": top,
                                                   "funnel": [{"name": n, "value": v, "url": u} for n, v, u in stages]},
        "sub_label": GROUP_LABELS[sub], "sub_rows": [(n, k, _cells(q, f, **{sub: k}), f) for n, k, f in sub_rows],
        "heat": heat, "level": level,
    })


@login_required
@require_GET
def metrics_table(request: HttpRequest) -> HttpResponse:
    """Every metric for the scope, and per street, community, grid, unit, category, brand or channel."""
    q = read_query(request)
    by = request.GET.get("by") or SUB_LEVEL[q.level]
    if by not in GROUP_LABELS:
        messages.error(request, "分组方式不对，已按默认分组。")
        by = SUB_LEVEL[q.level]
    names = _names()
    total = figures(q.filters, q.period)
    groups = with_medians(totals(q.filters, q.period, by=by), q.filters, q.period, by)
    rows = sorted(((names[by].get(k, "—"), k, f) for k, f in groups.items() if k is not None), key=lambda r: r[0])
    if request.GET.get("format") == "xlsx":
        header = [GROUP_LABELS[by], *[m.label for m in METRICS]]
        data = [["合计", *[cell(m, total.metric(m.name)) for m in METRICS]]]
        data += [[n, *[cell(m, f.metric(m.name)) for m in METRICS]] for n, _, f in rows]
        return table_xlsx(f"考核指标-{q.period.label}.xlsx", "考核指标", header, data)
    return render(request, "evaluation/metrics.html", {
        **_form_context(q), "by": by, "by_label": GROUP_LABELS[by], "total": _cells(q, total),
        "rows": [(n, _cells(q, f, **{by: k})) for n, k, f in rows],
        "export": f"?{q.params(by=by, format='xlsx')}",
    })


RANK_LEVELS = {"street": "街道", "community": "社区", "department": "区职能部门"}


def rank_levels(q: Query) -> dict[str, str]:
    """What a viewer may rank: the district everything; a street officer the communities of their
    streets and the streets; a department the departments. Others are not ranked here."""
    if q.allowed.level == "district":
        return {"community": "社区", "street": "街道", "department": "区职能部门"}
    if q.allowed.level == "street":
        return {"community": "社区", "street": "街道"}
    if q.allowed.level == "unit" and any(u.kind == UnitKind.DEPARTMENT for u in q.allowed.units):
        return {"department": "区职能部门"}
    return {}


@login_required
@require_GET
def rankings(request: HttpRequest) -> HttpResponse:
    """红黑榜: streets, communities or departments by a metric, with the change since the period before."""
    q = read_query(request)
    levels = rank_levels(q)
    if not levels:
        raise Http404
    level = request.GET.get("level") if request.GET.get("level") in levels else next(iter(levels))
    metric = METRIC.get(request.GET.get("metric") or "composite", METRIC["composite"])
    rows = ranking(q, level, metric)
    received_label = "接收派单" if level == "department" else "收到诉求"
    if request.GET.get("format") == "xlsx":
        header = ["名次", RANK_LEVELS[level], metric.label, "上期", "上期名次", "名次变化", received_label]
        return table_xlsx(f"排名-{metric.label}-{q.period.label}.xlsx", "排名", header,
                          [[r["rank"] or "—", r["name"], cell(metric, r["value"]), cell(metric, r["prev"]), r["prev_rank"] or "—",
                            r["change"] if r["change"] is not None else "—", r["received"]] for r in rows])
    return render(request, "evaluation/rankings.html", {
        **_form_context(q), "rows": rows, "level": level, "level_label": RANK_LEVELS[level],
        "levels": levels.items(), "metric": metric, "received_label": received_label,
        "rankable": RANKABLE, "previous": q.period.previous(),
        "export": f"?{q.params(level=level, metric=metric.name, format='xlsx')}",
        "chart": {"labels": [r["name"] for r in rows], "values": [r["value"] for r in rows]},
    })


def ranking(q: Query, level: str, metric: Metric) -> list[dict[str, Any]]:
    """Ranked rows for a level; streets and departments district-wide, communities within the viewer's streets."""
    filters = {k: v for k, v in q.filters.items() if k not in {"street", "community", "grid", "unit"}}
    if level == "department":
        members = {u.pk: u.name for u in Unit.objects.filter(kind=UnitKind.DEPARTMENT, active=True)}
        by, filters["unit"] = "unit", list(members)
    elif level == "street":
        members = {a.pk: a.name for a in Area.objects.filter(kind=AreaKind.STREET)}
        by = "street"
    else:
        members = {a.pk: a.name for a in q.allowed.communities} if q.allowed.level != "unit" else {}
        by, filters["community"] = "community", list(members)

    # Departments do not register requests: what they receive is what is dispatched to them (接收派单).
    received = "dispatched" if level == "department" else "received"
    name_of = received if metric.name == "received" else metric.name

    def ranked(data: dict[Any, Figures]) -> dict[int, tuple[float | None, int | None]]:
        values = {k: data[k].metric(name_of) if k in data else None for k in members}
        order = sorted((k for k, v in values.items() if v is not None), key=lambda k: values[k],
                       reverse=metric.name not in LOWER_BETTER)
        positions = {k: i + 1 for i, k in enumerate(order)}
        return {k: (values[k], positions.get(k)) for k in members}

    current = totals(filters, q.period, by=by)
    now, before = ranked(current), ranked(totals(filters, q.period.previous(), by=by))
    rows = []
    for k, name in members.items():
        value, rank = now[k]
        prev, prev_rank = before[k]
        rows.append({"id": k, "name": name, "value": round(value, 4) if value is not None else None,
                     "value_text": fmt(metric, value), "rank": rank, "prev": prev, "prev_text": fmt(metric, prev),
                     "prev_rank": prev_rank, "change": (prev_rank - rank) if rank and prev_rank else None,
                     "received": getattr(current[k], received) if k in current else 0,
                     "url": (f"{reverse('evaluation')}?{q.params(**{'unit' if by == 'unit' else by: k})}")})
    rows.sort(key=lambda r: (r["rank"] is None, r["rank"] or 0, r["name"]))
    ranked_count = sum(1 for r in rows if r["rank"])
    for r in rows:
        r["red"] = r["rank"] is not None and r["rank"] <= 3
        r["black"] = r["rank"] is not None and ranked_count > 6 and r["rank"] > ranked_count - 3
    return rows


@login_required
@require_GET
def requests_behind(request: HttpRequest) -> HttpResponse:
    """The requests behind a figure: the facts it counted, each with its request."""
    q = read_query(request)
    kind = request.GET.get("fact") or FactKind.RECEIVED
    if kind not in FactKind.values:
        messages.error(request, "没有这项指标。")
        kind = FactKind.RECEIVED
    tabs = ONLY.get(kind, {})
    only = request.GET.get("only") or ""
    if only and only not in tabs:
        only = ""
    facts = (Fact.objects.using(reporting()).filter(scope_q(q.filters), kind=kind, day__gte=q.period.start, day__lte=q.period.end)
             .filter(tabs[only][1] if only else Q())
             .filter(ticket__in=visible_tickets(q.scope).values("pk"))
             .select_related("ticket", "unit", "community", "ticket__category").order_by("-day", "-id"))
    label = FactKind(kind).label + (f"·{tabs[only][0]}" if only else "")
    if request.GET.get("format") == "xlsx":
        return table_xlsx(f"{label}-{q.period.label}.xlsx", label[:31],
                          ["日期", "编号", "标题", "分类", "社区", "单位", "结果"],
                          ([f.day, f.ticket.number, f.ticket.title, str(f.ticket.category), f.community.name,
                            f.unit.name, _outcome(f)] for f in facts.iterator(chunk_size=2000)))
    page = Paginator(facts, 50).get_page(request.GET.get("page"))
    return render(request, "evaluation/requests.html", {
        **_form_context(q), "page": page, "rows": [(f, _outcome(f)) for f in page], "kind": kind, "label": label,
        "tabs": [("", "全部")] + [(k, v[0]) for k, v in tabs.items()], "only": only,
        "hidden": [("fact", kind), ("only", only)],
        "base": q.params(fact=kind), "query": q.params(fact=kind, only=only),
    })


def _outcome(f: Fact) -> str:
    if f.kind in {FactKind.RESPONSE, FactKind.DEADLINE}:
        return "按时" if f.ok else "超时"
    if f.kind == FactKind.CALLBACK:
        grade = {"satisfied": "满意", "basic": "基本满意", "dissatisfied": "不满意"}.get(f.grade, "")
        return f"{grade}·{'已解决' if f.ok else '未解决'}"
    if f.kind == FactKind.RESOLVED and f.minutes is not None:
        return f"用时 {f.minutes / 60:.1f} 小时"
    return ""


MAP_METRICS = {"received": "诉求件数", "overdue": "超期办结件数", "satisfaction": "满意率"}
MAP_LEVELS = {"street": "街道", "community": "社区", "grid": "网格"}
NEXT_LEVEL = {"street": "community", "community": "grid"}


@login_required
@require_GET
def area_map(request: HttpRequest) -> HttpResponse:
    """The district's streets, communities or grids drawn from their GeoJSON boundaries, coloured by a
    figure; a click goes one level down, and from a grid to its requests."""
    q = read_query(request)
    if q.allowed.level == "unit":
        raise Http404
    default = {"district": "street", "street": "community", "community": "grid", "grid": "grid"}[q.allowed.level]
    level = request.GET.get("level") or ("grid" if q.picked.get("community") else
                                         "community" if q.picked.get("street") else default)
    if level not in MAP_LEVELS or (q.allowed.level in {"community", "grid"} and level != "grid") or (
            q.allowed.level == "street" and level == "street"):
        level = default
    metric = request.GET.get("metric") if request.GET.get("metric") in MAP_METRICS else "received"
    pool = {"street": q.allowed.streets, "community": q.allowed.communities, "grid": q.allowed.grids}[level]
    if level == "community" and q.picked.get("street"):
        pool = [a for a in pool if a.parent_id == int(q.picked["street"])]
    if level == "grid" and q.picked.get("community"):
        pool = [a for a in pool if a.parent_id == int(q.picked["community"])]
    data = totals({k: v for k, v in q.filters.items() if k != level}, q.period, by=level)
    features, values, missing = [], [], []
    for area in pool:
        if not area.boundary:
            missing.append(area.name)
            continue
        features.append({"type": "Feature", "properties": {"name": area.name}, "geometry": area.boundary})
        f = data.get(area.pk, Figures())
        value: float | None
        if metric == "received":
            value, text = f.received, f"{f.received} 件"
        elif metric == "overdue":
            late = f.resolve_due - f.resolve_ok
            value, text = late, f"超期 {late} 件 / 应办结 {f.resolve_due} 件"
        else:
            rate = f.satisfaction_rate
            value, text = (round(rate * 100, 1), f"{rate * 100:.1f}%") if rate is not None else (None, "无回访")
        if level in NEXT_LEVEL:
            url = f"{reverse('evaluation_map')}?{q.params(**{level: area.pk, 'level': NEXT_LEVEL[level], 'metric': metric})}"
        else:
            url = q.link(METRIC["received"], grid=area.pk)
        values.append({"name": area.name, "value": value, "text": text, "url": url})
    chart = {"name": f"minqing-{level}", "geojson": {"type": "FeatureCollection", "features": features},
             "data": values, "reverse": metric == "satisfaction", "points": _points(q, level)}
    rows = sorted(values, key=lambda v: -(v["value"] or 0))
    if request.GET.get("format") == "xlsx":
        return table_xlsx(f"{MAP_LEVELS[level]}-{MAP_METRICS[metric]}-{q.period.label}.xlsx", MAP_METRICS[metric],
                          [MAP_LEVELS[level], MAP_METRICS[metric], "说明"],
                          [[r["name"], "—" if r["value"] is None else percent(r["value"] / 100) if metric == "satisfaction"
                            else r["value"], r["text"]] for r in rows])
    return render(request, "evaluation/map.html", {
        **_form_context(q), "chart": chart, "level": level, "levels": MAP_LEVELS.items(), "metric": metric,
        "map_metrics": MAP_METRICS.items(), "rows": rows, "missing": missing, "level_label": MAP_LEVELS[level],
    })


MAP_POINTS = 2000


def _points(q: Query, level: str) -> list[dict[str, Any]]:
    """The located requests received in the period inside what the map shows (the newest MAP_POINTS), each a
    dot that opens its request: the same facts the 收到 figure counts, within the viewer's scope."""
    facts = (Fact.objects.using(reporting()).filter(scope_q(q.filters), kind=FactKind.RECEIVED,
                                                     day__gte=q.period.start, day__lte=q.period.end)
             .filter(ticket__in=visible_tickets(q.scope).values("pk"), ticket__latitude__isnull=False)
             .order_by("-day", "-id").values_list("ticket__number", "ticket__title", "ticket__longitude",
                                                  "ticket__latitude")[:MAP_POINTS])
    return [{"name": f"{number} {title}", "value": [float(lon), float(lat)],
             "url": reverse("ticket_detail", args=[number])} for number, title, lon, lat in facts]


@login_required
@require_GET
def report(request: HttpRequest) -> HttpResponse:
    """月报 and 年报 for the viewer's scope (or a street, community, grid or unit in it), as PDF or Excel."""
    from urllib.parse import quote

    if "period" not in request.GET:  # a monthly report of this month unless another period is asked for
        request.GET = request.GET.copy()
        request.GET["period"] = "month"
    q = read_query(request)
    fmt_ = request.GET.get("format")
    if fmt_ not in {"pdf", "xlsx"}:
        return render(request, "evaluation/report.html", {**_form_context(q)})
    names = _names()
    level = q.level
    data = reports.build(filters=q.filters, period=q.period, scope_name=q.scope_name(names), sub=SUB_LEVEL[level],
                         sub_label=GROUP_LABELS[SUB_LEVEL[level]], names=names)
    name = f"{data.title}-{q.period.label}.{fmt_}"
    if fmt_ == "pdf":
        response = HttpResponse(reports.pdf(data), content_type="application/pdf")
    else:
        from minqing.lib.xlsx import XLSX

        response = HttpResponse(reports.xlsx(data), content_type=XLSX)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    return response
