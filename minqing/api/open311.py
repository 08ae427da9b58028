"""Open311 GeoReport v2 at /open311/v2/ (wiki.open311.org/GeoReport_v2), JSON and XML.

Services are the second-level categories. Locations: `lat`/`long` (WGS84) are placed in the grid whose boundary
holds them, `address_string` through the gazetteer and area names, `address_id` is the id of a community, grid
or compound (see /api/v1/areas); nothing found → 位置待核实 at the district centre, never refused
(org/location.py). Lists filter by `lat`/`long`/`radius` (metres; a box around the circle) and `bbox`.
Requests are registered through the same action as everywhere else, with the API key's account.
Also served: the `servicerequestupdates` extension (GET), so other systems can follow changes.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
from xml.etree import ElementTree as ET

from django.db.models import F
from django.db.models.signals import post_delete, post_save
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.csrf import csrf_exempt

from minqing.lib import memo
from minqing.lib.masking import mask_public_text
from minqing.lib.validation import in_range, parse_id, unstorable
from minqing.org.models import Area, AreaKind, Unit
from minqing.tickets import actions
from minqing.tickets.lifecycle import OPEN_STATUSES, PUBLIC_STATUS
from minqing.tickets.models import Category, Channel, Ticket, TicketEvent, TicketType

from .models import ApiToken

CHANGESET = "2026-11-30T00:00:00+08:00"
MAX_RECORDS = 1000
DEFAULT_DAYS = 90
XML_ROOT = {"services": ("services", "service"), "requests": ("service_requests", "request"),
            "discovery": ("discovery", None), "definition": ("service_definition", None), "errors": ("errors", "error"), "updates": ("service_request_updates",
                                                                                          "request_update")}


def _xml(value: object, tag: str) -> ET.Element:
    element = ET.Element(tag)
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, list):
                holder = ET.SubElement(element, key)
                for entry in item:
                    holder.append(_xml(entry, key.rstrip("s") or key))
            else:
                element.append(_xml(item, key))
    elif value is not None:
        element.text = _XML_UNSAFE.sub("", str(value).lower() if isinstance(value, bool) else str(value))
    return element


# Characters XML 1.0 cannot carry at all (a client's parser would reject the whole document).
_XML_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _respond(kind: str, payload: object, fmt: str, status: int = 200) -> HttpResponse:
    if fmt == "xml":
        root_tag, item_tag = XML_ROOT[kind]
        if item_tag is None:
            root = _xml(payload, root_tag)
        else:
            root = ET.Element(root_tag)
            for item in payload:  # type: ignore[attr-defined]
                root.append(_xml(item, item_tag))
        body = b'<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(root, encoding="utf-8")
        return HttpResponse(body, status=status, content_type="text/xml; charset=utf-8")
    return JsonResponse(payload, status=status, safe=False, json_dumps_params={"ensure_ascii": False})


def _error(fmt: str, status: int, description: str) -> HttpResponse:
    return _respond("errors", [{"code": status, "description": description}], fmt, status)


def _format(fmt: str) -> str | None:
    return fmt if fmt in {"json", "xml"} else None


@functools.lru_cache(maxsize=8192)
def _iso_of(value: dt.datetime) -> str:
    return value.astimezone(_zone()).isoformat(timespec="seconds")


@functools.lru_cache(maxsize=4096)
def _masked(text: str, name: str) -> str:
    """Masking is a pure function of the text and the reporter's name, and clients poll the same list: a
    request's masked text is worked out once per worker, not on every read (4,096 texts, a few MB)."""
    return mask_public_text(text, names=[name])


@functools.cache
def _zone() -> dt.tzinfo:
    return timezone.get_default_timezone()


def _iso(value: dt.datetime | None) -> str | None:
    """W3C time in Beijing time. A list of 1,000 requests formats 3,000 of these: the zone is looked up once,
    and an instant is formatted once per worker (lists are read again and again)."""
    return _iso_of(value) if value is not None else None


def discovery(request: HttpRequest, fmt: str) -> HttpResponse:
    if not _format(fmt):
        return _error("json", 404, "格式只能是 json 或 xml")
    base = request.build_absolute_uri("/open311/v2/")
    return _respond("discovery", {
        "changeset": CHANGESET, "contact": "七里河区民情服务中心", "key_service": "向系统管理员申请 API 令牌",
        "endpoints": [{"specification": "http://wiki.open311.org/GeoReport_v2", "url": base, "changeset": CHANGESET,
                       "type": "production", "formats": ["text/xml", "application/json"]}],
    }, fmt)


def _service(c: Category) -> dict:
    return {"service_code": c.code, "service_name": c.name, "description": f"{c.parent.name} · {c.get_brand_display()}",
            "metadata": False, "type": "realtime", "keywords": "", "group": c.parent.name}


def services(request: HttpRequest, fmt: str) -> HttpResponse:
    if not _format(fmt):
        return _error("json", 404, "格式只能是 json 或 xml")
    rows = Category.objects.filter(parent__isnull=False, active=True, parent__active=True).select_related("parent")
    return _respond("services", [_service(c) for c in rows], fmt)


def service_definition(request: HttpRequest, code: str, fmt: str) -> HttpResponse:
    if not _format(fmt):
        return _error("json", 404, "格式只能是 json 或 xml")
    category = Category.objects.filter(code=code, parent__isnull=False, active=True).first()
    if category is None:
        return _error(fmt, 404, f"没有编码为 {code[:40]} 的服务")
    return _respond("definition", {"service_code": category.code, "attributes": []}, fmt)


# Plain rows, not model instances: a list of 1,000 requests is one query and a loop over tuples.
FIELDS = ["number", "status", "result", "text", "reporter_name", "category_id", "handling_unit_id", "created_at",
          "updated_at", "resolve_due_at", "street_id", "community_id", "grid_id", "compound_id", "address", "latitude",
          "longitude", "location_pending"]


def _build_names() -> dict[str, dict]:
    return {"areas": dict(Area.objects.values_list("pk", "name")),
            "units": dict(Unit.objects.values_list("pk", "name")),
            "categories": {pk: (name, code) for pk, name, code in Category.objects.values_list("pk", "name", "code")}}


def _names(rows: list[dict]) -> dict[str, dict]:
    """The names of the places, units and services the rows point to, from a per-process table read once a
    minute (lib/memo.py), not joined into every query: a request by id was one row and six joins, and planning
    the join cost PostgreSQL ten times more than running it. An id not in the table (added since, elsewhere)
    makes it read again."""
    names = memo.memo("open311-names", _build_names)
    wanted = (("areas", ("street_id", "community_id", "grid_id", "compound_id")), ("units", ("handling_unit_id",)),
              ("categories", ("category_id",)))
    if any(row[f] is not None and row[f] not in names[table] for row in rows for table, fs in wanted for f in fs):
        memo.forget("open311-names")
        names = memo.memo("open311-names", _build_names)
    return names


for _model in (Area, Unit, Category):
    post_save.connect(memo.forgetter("open311-names"), sender=_model, weak=False,
                      dispatch_uid=f"open311-names-{_model.__name__}-saved")
    post_delete.connect(memo.forgetter("open311-names"), sender=_model, weak=False,
                        dispatch_uid=f"open311-names-{_model.__name__}-deleted")
OPEN_OR_RESOLVED = {*OPEN_STATUSES, "resolved"}


def _request_out(row: dict, names: dict[str, dict]) -> dict:
    """Open311 is public: what residents and staff wrote is masked (phones, ID numbers, names, the
    reporter's own name wherever it occurs); staff read the full text through /api/v1/."""
    status = row["status"]
    finished = row["result"] and status in {"resolved", "closed", "rejected"}
    name = row["reporter_name"]
    areas = names["areas"]
    place = " · ".join(areas.get(row[f], "") for f in ("street_id", "community_id", "grid_id", "compound_id")
                       if row[f] is not None and areas.get(row[f]))
    service, code = names["categories"].get(row["category_id"], ("", ""))
    return {
        "service_request_id": row["number"], "status": "open" if status in OPEN_OR_RESOLVED else "closed",
        "status_notes": PUBLIC_STATUS[status] + (f"：{_masked(row['result'], name)}" if finished else ""),
        "service_name": service, "service_code": code,
        "description": _masked(row["text"], name),
        "agency_responsible": names["units"].get(row["handling_unit_id"], ""), "service_notice": "",
        "requested_datetime": _iso(row["created_at"]), "updated_datetime": _iso(row["updated_at"]),
        "expected_datetime": _iso(row["resolve_due_at"]),
        "address": "位置待核实" if row["location_pending"] else " · ".join(x for x in (place, row["address"]) if x),
        "address_id": "" if row["location_pending"] else str(row["compound_id"] or row["grid_id"] or row["community_id"]),
        "zipcode": "", "lat": float(row["latitude"]) if row["latitude"] is not None else None,
        "long": float(row["longitude"]) if row["longitude"] is not None else None, "media_url": "",
    }


def _moment(request: HttpRequest, name: str) -> dt.datetime | None:
    """A W3C date-time parameter, in Beijing time when it gives no offset."""
    text = request.GET.get(name, "").strip()
    if not text:
        return None
    try:
        moment = parse_datetime(text)
    except ValueError:  # well-formed but impossible: month 13, hour 25, offset +25:00
        moment = None
    if moment is None:
        raise ValueError(f"{name} 不是有效的时间，须为 W3C 格式，例如 2026-11-30T08:00:00+08:00")
    if not in_range(moment):
        raise ValueError(f"{name} 超出范围（2000 年至 2100 年）")
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


def _dates(request: HttpRequest) -> tuple[dt.datetime, dt.datetime] | str:
    try:
        start, end = _moment(request, "start_date"), _moment(request, "end_date")
    except ValueError as exc:
        return str(exc)
    end = end or timezone.now()
    start = start or end - dt.timedelta(days=DEFAULT_DAYS)
    if end < start:
        return "end_date 不能早于 start_date"
    if end - start > dt.timedelta(days=DEFAULT_DAYS):
        return f"时间跨度不能超过 {DEFAULT_DAYS} 天"
    return start, end


def _public_tickets():
    # Open311 lists are public: no name or phone field leaves, and free text is masked (_request_out).
    return Ticket.objects.all()


@csrf_exempt
def requests_view(request: HttpRequest, fmt: str) -> HttpResponse:
    if not _format(fmt):
        return _error("json", 404, "格式只能是 json 或 xml")
    if request.method == "POST":
        return _create(request, fmt)
    qs = _public_tickets()
    ids = [x.strip().upper() for x in request.GET.get("service_request_id", "").split(",") if x.strip()]
    if ids:
        qs = qs.filter(number__in=ids[:MAX_RECORDS])
    else:
        window = _dates(request)
        if isinstance(window, str):
            return _error(fmt, 400, window)
        qs = qs.filter(created_at__gte=window[0], created_at__lte=window[1])
        codes = [c for c in request.GET.get("service_code", "").split(",") if c]
        if codes:
            qs = qs.filter(category__code__in=codes)
        where = _where(request)
        if isinstance(where, str):
            return _error(fmt, 400, where)
        qs = qs.filter(**where)
        status = request.GET.get("status", "")
        if status == "open":
            qs = qs.filter(status__in=[*OPEN_STATUSES, "resolved"])
        elif status == "closed":
            qs = qs.exclude(status__in=[*OPEN_STATUSES, "resolved"])
        elif status:
            return _error(fmt, 400, "status 只能是 open 或 closed")
    rows = list(qs.order_by("-created_at").values(*FIELDS)[:MAX_RECORDS])
    names = _names(rows)
    return _respond("requests", [_request_out(r, names) for r in rows], fmt)


def _number(request: HttpRequest, name: str, low: float, high: float) -> float | None:
    text = request.GET.get(name, "").strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not low <= value <= high:  # nan fails too
        raise ValueError(f"{name} 须为 {low:g}～{high:g} 之间的数字（十进制度{'、米' if name == 'radius' else ''}）")
    return value


def _where(request: HttpRequest) -> dict | str:
    """The location filters: lat + long + radius (metres, default 500), or bbox=west,south,east,north."""
    try:
        lat, lon = _number(request, "lat", -90, 90), _number(request, "long", -180, 180)
        radius = _number(request, "radius", 1, 50_000)
    except ValueError as exc:
        return str(exc)
    where: dict = {}
    if (lat is None) != (lon is None):
        return "lat 和 long 要同时提供"
    if lat is not None and lon is not None:
        metres = radius or 500.0
        dlat = metres / 111_320
        dlon = metres / (111_320 * max(math.cos(math.radians(lat)), 0.01))
        where |= {"latitude__range": (lat - dlat, lat + dlat), "longitude__range": (lon - dlon, lon + dlon)}
    elif radius is not None:
        return "radius 要和 lat、long 一起提供"
    box = request.GET.get("bbox", "").strip()
    if box:
        try:
            w, s, e, n = (float(v) for v in box.split(","))
        except ValueError:
            return "bbox 须为 西经度,南纬度,东经度,北纬度 四个数字，例如 103.75,36.02,103.85,36.08"
        if not (-180 <= w <= e <= 180 and -90 <= s <= n <= 90):
            return "bbox 的范围不对：须 西 ≤ 东、南 ≤ 北，且在经纬度范围内"
        where |= {"longitude__gte": w, "longitude__lte": e, "latitude__gte": s, "latitude__lte": n}
    return where


def _area(request: HttpRequest) -> Area | None | str:
    """The area `address_id` names (a community, grid or compound id), None when not given, or what is wrong.
    Points and address strings are resolved by intake (org.location.locate)."""
    raw = request.POST.get("address_id", "").strip()
    if not raw:
        return None
    area_id = parse_id(raw)
    area = actions.IntakeCache.shared().area(area_id) if area_id else None
    if area is not None and area.kind not in (AreaKind.COMMUNITY, AreaKind.GRID, AreaKind.COMPOUND):
        area = None
    return area if area is not None else f"address_id {raw[:20]} 不是社区、网格或小区的编号（见 /api/v1/areas）"


def _create(request: HttpRequest, fmt: str) -> HttpResponse:
    for key, values in request.POST.lists():  # every field, so none reaches the database unchecked
        if bad := next((found for v in values if (found := unstorable(v))), ""):
            return _error(fmt, 400, f"{key[:40]} 包含无效的{bad}")
    token = ApiToken.find(request.POST.get("api_key", ""))
    if token is None or "intake" not in token.permissions:
        return _error(fmt, 403, "api_key 无效或没有登记权限")
    category = actions.IntakeCache.shared().category(code=request.POST.get("service_code", ""))
    if category is None or category.parent_id is None:
        return _error(fmt, 400, "service_code 无效")
    area = _area(request)
    if isinstance(area, str):
        return _error(fmt, 400, area)
    name = f"{request.POST.get('last_name', '')}{request.POST.get('first_name', '')}".strip()
    try:
        ticket, code = actions.ticket_create(actor=token.user, intake=actions.Intake(
            channel=Channel.OPEN311, type=TicketType.HELP, category=category,
            text=request.POST.get("description", ""), area=area, address=request.POST.get("address_string", "")[:200],
            anonymous=not (name and request.POST.get("phone")), reporter_name=name,
            reporter_phone=request.POST.get("phone", ""), latitude=request.POST.get("lat"),
            longitude=request.POST.get("long"),
        ))
    except actions.ActionError as exc:
        return _error(fmt, 400, exc.message)
    notice = f"匿名查询码：{code}" if code else "请凭编号和手机号查询进度"
    return _respond("requests", [{"service_request_id": ticket.number, "service_notice": notice,
                                  "account_id": None}], fmt, 201)


def request_detail(request: HttpRequest, number: str, fmt: str) -> HttpResponse:
    if not _format(fmt):
        return _error("json", 404, "格式只能是 json 或 xml")
    row = _public_tickets().filter(number=number.upper()).values(*FIELDS).order_by()[:1]
    if not row:
        return _error(fmt, 404, f"没有编号为 {number[:40]} 的诉求")
    return _respond("requests", [_request_out(row[0], _names([row[0]]))], fmt)


def token_view(request: HttpRequest, token: str, fmt: str) -> HttpResponse:
    """Requests are numbered at once, so a token is the request number itself."""
    if not _format(fmt):
        return _error("json", 404, "格式只能是 json 或 xml")
    ticket = Ticket.objects.filter(number=token.upper()).first()
    if ticket is None:
        return _error(fmt, 404, "没有这个 token")
    return _respond("requests", [{"service_request_id": ticket.number, "token": token}], fmt)


def updates(request: HttpRequest, fmt: str) -> HttpResponse:
    """servicerequestupdates: status changes in a time window, oldest first."""
    if not _format(fmt):
        return _error("json", 404, "格式只能是 json 或 xml")
    window = _dates(request)
    if isinstance(window, str):
        return _error(fmt, 400, window)
    events = (TicketEvent.objects.filter(created_at__gte=window[0], created_at__lte=window[1])
              .exclude(from_status=F("to_status"))
              .select_related("ticket").order_by("created_at", "id")[:MAX_RECORDS])
    rows = [{"update_id": e.pk, "service_request_id": e.ticket.number,
             "status": "open" if e.to_status in OPEN_STATUSES or e.to_status == "resolved" else "closed",
             "updated_datetime": _iso(e.created_at), "description": PUBLIC_STATUS.get(e.to_status, ""),
             "media_url": ""} for e in events]
    return _respond("updates", rows, fmt)

