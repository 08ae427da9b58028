"""Pages of the 12345 exchange: upload a work-order export, watch it import, download the replies."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from minqing.accounts.scope import scope_for
from minqing.lib.errors import ActionError
from minqing.lib.xlsx import xlsx_response
from minqing.tickets.models import Category

from . import platform12345
from .exchange import export_replies, job_retry
from .models import ImportJob, ImportMapping
from .tasks import run_import

MAX_BYTES = 50 * 1024 * 1024


class UploadForm(forms.Form):
    file = forms.FileField(label="12345 工单文件（.xlsx 或 .csv）",
                           error_messages={"required": "请选择要导入的文件。"})
    mapping = forms.ModelChoiceField(queryset=ImportMapping.objects.all(), label="导入格式", empty_label=None)
    default_category = forms.ModelChoiceField(
        queryset=Category.objects.filter(parent__isnull=False, active=True).select_related("parent"),
        label="没有“诉求分类”列或分类对不上时使用", error_messages={"required": "请选择默认分类。"})

    def clean_file(self) -> object:
        f = self.cleaned_data["file"]
        if not f.name.lower().endswith((".xlsx", ".csv")):
            raise forms.ValidationError("只支持 .xlsx 和 .csv 文件。")
        if f.size > MAX_BYTES:
            raise forms.ValidationError("文件不能超过 50 MB。")
        return f


def _district_only(request: HttpRequest) -> None:
    if not scope_for(request.user).district:
        raise Http404("只有区民情服务中心可以导入和导出 12345 工单。")


@login_required
def exchange(request: HttpRequest) -> HttpResponse:
    _district_only(request)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            job = ImportJob.objects.create(file=form.cleaned_data["file"], mapping=form.cleaned_data["mapping"],
                                           default_category=form.cleaned_data["default_category"],
                                           created_by=request.user)
            run_import.enqueue(job.pk)  # same database queue: the job and its task commit together
        messages.success(request, "文件已上传，后台正在导入。")
        return redirect("exchange_job", pk=job.pk)
    return render(request, "api/exchange.html", {"form": form, "jobs": ImportJob.objects.all()[:20]})


@login_required
def job(request: HttpRequest, pk: int) -> HttpResponse:
    _district_only(request)
    item = get_object_or_404(ImportJob, pk=pk)
    template = "api/_job.html" if request.headers.get("HX-Request") else "api/job.html"
    return render(request, template, {"job": item, **_report_shown(item.report)})


REPORT_ROWS = 1000


def _report_shown(report: list[dict]) -> dict:
    """The report's rows worth reading on a page: every refused or updated row, then new ones, up to
    REPORT_ROWS in line order (a 100,000-row import would otherwise be a 10 MB page)."""
    notable = [r for r in report if r.get("result") != "created"][:REPORT_ROWS]
    room = REPORT_ROWS - len(notable)
    created = [r for r in report if r.get("result") == "created"][:room]
    rows = sorted(notable + created, key=lambda r: r.get("line", 0))
    return {"report_rows": rows, "report_hidden": len(report) - len(rows)}


@login_required
@require_POST
def retry(request: HttpRequest, pk: int) -> HttpResponse:
    """A failed import runs again from the start (rows it had imported are found by their numbers)."""
    _district_only(request)
    item = get_object_or_404(ImportJob, pk=pk)
    try:
        with transaction.atomic():  # the database queue: the reset and its task commit together
            job_retry(job=item)
            run_import.enqueue(item.pk)
    except ActionError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "已重新排队，后台正在导入。")
    return redirect("exchange_job", pk=pk)


@login_required
def export(request: HttpRequest) -> HttpResponse:
    _district_only(request)
    end = timezone.now()
    try:
        days = max(1, min(int(request.GET.get("days", "7")), 366))
    except ValueError:
        days = 7
    return xlsx_response(export_replies(end - dt.timedelta(days=days), end),
                         f"12345-replies-{timezone.localdate():%Y%m%d}.xlsx")


@csrf_exempt
@require_POST
def push12345(request: HttpRequest) -> JsonResponse:
    """The 12345 platform pushes feed items here instead of (or besides) being pulled: {"items": [...]}, signed
    `X-Minqing-Signature: sha256=<HMAC-SHA256 of the body with MINQING_12345_KEY>`. Items are kept by their
    message id (a repeat is dropped) and applied at once; what cannot be applied yet waits for the loop."""
    key = str(settings.MINQING_12345.get("KEY") or "")
    if not key:
        return JsonResponse({"code": 403, "msg": "未设置 MINQING_12345_KEY，不接收推送"}, status=403)
    expected = "sha256=" + hmac.new(key.encode(), request.body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, request.headers.get("X-Minqing-Signature", "")):
        return JsonResponse({"code": 403, "msg": "签名不对"}, status=403)
    try:
        body = json.loads(request.body.decode())
    except (UnicodeDecodeError, ValueError):
        return JsonResponse({"code": 400, "msg": "请求体不是 JSON"}, status=400)
    items = body.get("items") if isinstance(body, dict) else None
    if not isinstance(items, list):
        return JsonResponse({"code": 400, "msg": "缺少 items 列表"}, status=400)
    new = platform12345.inbound_store(items=items)
    applied = platform12345.process_due()
    return JsonResponse({"code": 0, "msg": "成功", "data": {"new": new, "applied": applied}})
