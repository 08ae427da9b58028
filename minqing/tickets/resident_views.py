"""Residents' pages: phone first, large type, no account needed. Never staff names or internal notes."""

from __future__ import annotations

import os
import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from minqing.accounts import throttle
from minqing.accounts.scope import scope_for
from minqing.lib.net import client_ip

from . import actions, queries
from .forms import RatingForm, ResidentTicketForm, TrackForm
from .lifecycle import PUBLIC_STATUS, Status
from .models import Category, Channel, Ticket, TicketType


def _remember(request: HttpRequest, ticket: Ticket) -> None:
    """This browser proved it may follow the request (number + phone, or it submitted it)."""
    followed = [i for i in request.session.get("followed_tickets", []) if i != ticket.pk][-19:]
    request.session["followed_tickets"] = [*followed, ticket.pk]


def home(request: HttpRequest) -> HttpResponse:
    groups = Category.objects.filter(parent__isnull=True, active=True).order_by("sort", "code")
    return render(request, "resident/home.html", {"groups": groups})


def new(request: HttpRequest) -> HttpResponse:
    group_id = request.GET.get("group") or ""
    group = (Category.objects.filter(pk=int(group_id), parent__isnull=True, active=True).first()
             if re.fullmatch(r"\d{1,9}", group_id) else None)
    if request.method == "POST":
        form = ResidentTicketForm(request.POST, request.FILES)
        key = f"submit:ip:{client_ip(request)}"
        if throttle.exceeded(key, limit=SUBMIT_LIMIT, window=SUBMIT_WINDOW):
            form.add_error(None, f"提交太频繁：同一网络一小时内最多提交 {SUBMIT_LIMIT} 件，请稍后再试。"
                                 "紧急情况请直接拨打 110 / 119 / 120。")
            return render(request, "resident/new.html", {"form": form, "group": group}, status=429)
        if form.is_valid():
            cd = form.cleaned_data
            user = request.user if request.user.is_authenticated else None
            scope = scope_for(user)
            try:
                ticket, code = actions.ticket_create(actor=None, intake=actions.Intake(  # shown as "反映人本人"
                    reporter_user=user if scope.resident and not cd["anonymous"] else None,
                    channel=Channel.ONLINE, type=TicketType.HELP, category=cd["category"],
                    text=cd["text"], area=cd["area"], address=cd["address"], anonymous=cd["anonymous"],
                    reporter_name=cd["reporter_name"], reporter_phone=cd["reporter_phone"], photos=cd["photos"],
                    latitude=cd["latitude"], longitude=cd["longitude"],
                ))
            except actions.ActionError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                throttle.hit(key, limit=SUBMIT_LIMIT, window=SUBMIT_WINDOW)
                _remember(request, ticket)
                request.session["just_submitted"] = {"number": ticket.number, "code": code,
                                                     "urgent": ticket.urgent_words}
                return redirect("resident_done")
    else:
        form = ResidentTicketForm()
    if group is not None:
        form.fields["category"].choices = [("", "请选择具体问题"), *[(c.pk, c.name) for c in group.children.filter(active=True)]]
    return render(request, "resident/new.html", {"form": form, "group": group})


def done(request: HttpRequest) -> HttpResponse:
    info = request.session.get("just_submitted")
    if not info:
        return redirect("resident_home")
    return render(request, "resident/done.html", info)


# The public form: at most this many requests per network address per hour (a flood, not a resident).
SUBMIT_LIMIT = int(os.environ.get("MINQING_RESIDENT_SUBMIT_LIMIT", "10"))
SUBMIT_WINDOW = 60 * 60
TRACK_WINDOW = 15 * 60
TRACK_MAX_FAILURES = 10


def _throttle_keys(request: HttpRequest, number: str) -> list[str]:
    ip = client_ip(request)
    return [f"track-fail:ip:{ip}", f"track-fail:no:{number.strip().upper()}"]


def track(request: HttpRequest) -> HttpResponse:
    """Number + phone (or code). Failures are counted per address and per number, so neither codes
    nor other people's numbers can be tried by the thousand."""
    form = TrackForm(request.POST or None, initial={"number": request.GET.get("n", "")[:32]})
    if request.method == "POST" and form.is_valid():
        keys = _throttle_keys(request, form.cleaned_data["number"])
        if any(throttle.exceeded(k, limit=TRACK_MAX_FAILURES, window=TRACK_WINDOW) for k in keys):
            form.add_error(None, "查询失败次数过多，请 15 分钟后再试。")
            return render(request, "resident/track.html", {"form": form}, status=429)
        ticket = queries.public_lookup(form.cleaned_data["number"], form.cleaned_data["secret"])
        if ticket is None:
            for k in keys:
                throttle.hit(k, limit=TRACK_MAX_FAILURES, window=TRACK_WINDOW)
            form.add_error(None, "编号与手机号（或查询码）不匹配，请核对后重试。")
        else:
            _remember(request, ticket)
            return redirect("resident_ticket", number=ticket.number)
    return render(request, "resident/track.html", {"form": form})


def _followed_or_404(request: HttpRequest, number: str) -> Ticket:
    ticket = Ticket.objects.filter(number=number).select_related("merged_into").first()
    if ticket is None:
        raise Http404
    user = request.user if request.user.is_authenticated else None
    own = user is not None and ticket.reporter_user_id == user.pk
    if not own and ticket.pk not in request.session.get("followed_tickets", []):
        raise Http404
    return ticket


def ticket(request: HttpRequest, number: str) -> HttpResponse:
    mine = _followed_or_404(request, number)
    handled = queries.followed(mine)
    return render(
        request,
        "resident/ticket.html",
        {
            "mine": mine,
            "ticket": handled,
            "status_text": PUBLIC_STATUS[handled.status],
            "steps": queries.public_steps(handled),
            "can_rate": handled.pk == mine.pk and handled.status == Status.RESOLVED,
            "form": RatingForm(),
            "photos": [a for e in handled.events.filter(action__in=queries.PUBLIC_PHOTO_EVENTS)
                       for a in e.attachments.all()],
        },
    )


@require_POST
def rate(request: HttpRequest, number: str) -> HttpResponse:
    mine = _followed_or_404(request, number)
    form = RatingForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请选择满意度和问题是否解决。")
        return redirect("resident_ticket", number=number)
    cd = form.cleaned_data
    if mine.status != Status.RESOLVED:
        messages.error(request, f"该事项当前为“{PUBLIC_STATUS[mine.status]}”，不需要评价。")
        return redirect("resident_ticket", number=number)
    try:
        actions.ticket_callback(ticket=mine, actor=None, contacted=True, solved=cd["solved"],
                                satisfaction=cd["satisfaction"], note=cd["note"])
    except actions.ActionError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "感谢您的评价！")
    return redirect("resident_ticket", number=number)


@login_required
def mine(request: HttpRequest) -> HttpResponse:
    tickets = Ticket.objects.filter(reporter_user=request.user).order_by("-created_at")[:100]
    return render(request, "resident/mine.html", {"tickets": [(t, PUBLIC_STATUS[t.status]) for t in tickets]})
