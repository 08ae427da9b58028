"""The staff menu, declared once: each entry says who finds it, by the same rules as the page it opens
(a callback agent is not offered 登记诉求, a department not 12345 工单交换), so no link in anyone's menu
leads to a refusal or to a queue that can never hold anything for them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.http import HttpRequest
from django.urls import reverse

from minqing.accounts.scope import Scope, scope_for
from minqing.grid.queries import sees_grid_work
from minqing.tickets import queries


@dataclass(frozen=True)
class Entry:
    label: str
    url_name: str
    shows: Callable[[Scope], bool] = lambda s: True
    args: tuple[str, ...] = ()
    also: tuple[str, ...] = ()  # other pages that belong to this entry (highlighted with it)
    new_tab: bool = False


def _records(s: Scope) -> bool:  # 登记: who has communities to record in (tickets.queries.communities_for)
    return bool(s.grid_ids or s.community_ids or s.street_ids or s.district or s.admin)


def _works_in_area(s: Scope) -> bool:  # everyone but the callback team, who only call residents back
    return bool(s.grid_ids or s.community_ids or s.street_ids or s.unit_ids or s.district or s.admin)


def _oversees(s: Scope) -> bool:
    return bool(s.district or s.admin or s.street_ids or s.community_ids)


def _queue(name: str, label: str | None = None) -> Entry:
    return Entry(label or queries.QUEUES[name], "queue", lambda s: queries.queue_applies(s, name), args=(name,))


MENU: list[tuple[str, list[Entry]]] = [
    ("", [Entry("工作台", "workbench")]),
    ("民情事项", [
        Entry("登记诉求", "ticket_new", _records),
        *[_queue(name) for name in ("received", "registered", "assigned", "in_progress", "suspended", "parts",
                                    "due_soon", "overdue", "callback", "recheck")],
        Entry("事项查询", "ticket_list", also=("ticket_detail",)),
        Entry("12345 工单交换", "exchange", lambda s: s.district, also=("import_job",)),
        Entry("高频事项", "hotspots", _works_in_area),
    ]),
    ("网格走访", [  # minqing/grid
        Entry("网格巡查", "grid_patrol", lambda s: bool(s.grid_ids)),
        Entry("走访概况", "grid_home", sees_grid_work),
        Entry("民情日志", "grid_visits", sees_grid_work, also=("grid_visit",)),
        Entry("基础信息", "grid_registry", sees_grid_work, also=("grid_registry_import", "grid_household")),
    ]),
    ("考核评价", [
        Entry("评价总览", "evaluation", _works_in_area),
        Entry("考核指标", "evaluation_metrics", also=("evaluation_requests",)),
        Entry("红黑榜", "evaluation_rankings", lambda s: bool(
            s.district or s.admin or s.street_ids or (s.in_department and not s.community_ids and not s.grid_ids))),
        Entry("民情地图", "evaluation_map", lambda s: _works_in_area(s) and bool(
            not s.unit_ids or s.community_ids or s.street_ids or s.district)),
        Entry("月报年报", "evaluation_report", _works_in_area),
        Entry("星级评定", "star_index", _oversees, also=("star_board", "star_card")),
        Entry("评优", "award_list", _oversees),
        Entry("典型案例", "case_list", _oversees),
    ]),
    ("议事协商", [
        Entry("议事会议", "meeting_list", _works_in_area, also=("meeting_detail", "meeting_new")),
        Entry("议事统计", "meeting_stats", _works_in_area),
    ]),
    ("主动治理", [
        Entry("治理专项", "gov_project_list", _works_in_area, also=("gov_project_detail", "gov_project_new")),
        Entry("知识库", "kb_list", _works_in_area, also=("kb_new", "kb_edit")),
    ]),
    ("双向清单", [
        Entry("需求清单", "need_list", _works_in_area, also=("need_detail", "need_new")),
        Entry("资源清单", "resource_list", _works_in_area, also=("resource_new",)),
        Entry("项目清单", "project_list", _works_in_area, also=("project_detail",)),
        Entry("红色矩阵", "matrix", _works_in_area, also=("unit_import",)),
        Entry("双向服务协议", "agreement_list", _works_in_area, also=("agreement_detail",)),
        Entry("微心愿", "wish_list", _works_in_area),
        Entry("报到党员", "member_list", _works_in_area),
        Entry("清单统计", "list_stats", _works_in_area),
    ]),
    ("跟踪督办", [
        Entry("督办与延期", "supervision", lambda s: bool(s.unit_ids or s.district)),
        _queue("supervised"),
    ]),
    ("我的", [
        Entry("通知", "inbox"),
        Entry("修改密码", "password_change"),
        Entry("二次验证", "second_factor", lambda s: s.admin or s.district),
    ]),
    ("系统管理", [
        Entry("系统管理", "admin:index", lambda s: bool(s.user and s.user.is_staff)),
        Entry("分类建议准确率", "triage_accuracy", lambda s: bool(s.user and s.user.is_staff)),
    ]),
    ("群众端", [
        Entry("群众反映页", "resident_home", new_tab=True),
        Entry("公示栏", "notice_index", new_tab=True),
        Entry("每月一题", "monthly_topics", new_tab=True),
    ]),
]


@dataclass(frozen=True)
class Link:
    label: str
    url: str
    active: bool
    new_tab: bool
    name: str  # the page's url name


def menu_for(scope: Scope, *, url_name: str = "", queue: str = "") -> list[tuple[str, list[Link]]]:
    out = []
    for group, entries in MENU:
        links = [Link(e.label, reverse(e.url_name, args=e.args), _active(e, url_name, queue), e.new_tab, e.url_name)
                 for e in entries if e.shows(scope)]
        if links:
            out.append((group, links))
    return out


def _active(e: Entry, url_name: str, queue: str) -> bool:
    if e.url_name == "queue":
        return url_name == "queue" and queue == e.args[0]
    return url_name == e.url_name or url_name in e.also


def menu(request: HttpRequest) -> dict:
    """Context processor: the signed-in staff member's menu."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    match = request.resolver_match
    return {"menu": lambda: menu_for(scope_for(user), url_name=match.url_name if match else "",
                                     queue=(match.kwargs.get("name", "") if match else ""))}
