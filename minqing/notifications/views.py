from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from .actions import notification_read
from .models import Notification, Preference


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    page = Paginator(Notification.objects.filter(recipient=request.user), 30).get_page(request.GET.get("page"))
    pref = Preference.objects.filter(user=request.user).first()
    return render(request, "notifications/inbox.html", {"page": page, "pref": pref})


@login_required
@require_POST
def open_notification(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(Notification, pk=pk, recipient=request.user)
    notification_read(user=request.user, notification_id=item.pk)
    if item.url and url_has_allowed_host_and_scheme(item.url, allowed_hosts={request.get_host()}):
        return redirect(item.url)
    return redirect("inbox")


@login_required
@require_POST
def read_all(request: HttpRequest) -> HttpResponse:
    notification_read(user=request.user)
    return redirect("inbox")


@login_required
@require_POST
def preferences(request: HttpRequest) -> HttpResponse:
    Preference.objects.update_or_create(
        user=request.user, defaults={"sms": request.POST.get("sms") == "on", "email": request.POST.get("email") == "on"}
    )
    return redirect("inbox")
