"""Every role's menu: only what the role can use, and every link in it opens (no 403, no 404)."""

from __future__ import annotations

import re

import pytest

from minqing.tickets.tests.test_views import client_for

ROLES = ["wangge", "shequ", "shuji", "jiedao", "bumen", "wuye", "duban", "huifang", "huifang_qu"]


def menu_links(html: str) -> dict[str, str]:
    nav = html[html.index('id="main-menu"'):html.index("</nav>")]
    return {label: href for href, label in re.findall(r'<a href="([^"]+)"[^>]*>([^<(]+)', nav)}


@pytest.mark.parametrize("who", ROLES)
def test_every_link_in_a_roles_menu_opens(cast, who: str) -> None:
    c = client_for(getattr(cast, who))
    links = menu_links(c.get("/").content.decode())
    assert "工作台" in links and "修改密码" in links
    for label, href in links.items():
        if href.startswith("/r/") or href.startswith("/notice"):
            continue  # the residents' pages, opened in a new tab
        assert c.get(href).status_code == 200, (who, label, href)


def test_each_role_finds_its_own_work_and_not_others(cast) -> None:
    menus = {who: set(menu_links(client_for(getattr(cast, who)).get("/").content.decode())) for who in ROLES}
    # The callback team calls back and re-checks; it records nothing and holds no request.
    assert {"待回访", "待复核"} <= menus["huifang"] and not menus["huifang"] & {"登记诉求", "待签收", "办理中", "议事会议"}
    # A department signs for and handles what it is sent, co-handles, answers summons; it records nothing.
    assert {"待签收", "办理中", "协办与报到", "督办与延期"} <= menus["bumen"] and "登记诉求" not in menus["bumen"]
    # A grid worker records and follows their grid; no unit, so no 待签收.
    assert {"登记诉求", "即将超期", "已超期"} <= menus["wangge"] and "待签收" not in menus["wangge"]
    assert "12345 工单交换" in menus["duban"] and not any("12345 工单交换" in menus[w] for w in ROLES if w != "duban")
    assert {"待受理", "待派单", "待回访"} <= menus["jiedao"]


def test_the_workbench_shows_only_the_queues_that_apply(cast) -> None:
    html = client_for(cast.huifang).get("/").content.decode()
    cards = html[html.index('class="content"'):]
    assert "待回访" in cards and "待签收" not in cards
    assert "<h2>已超期</h2>" not in cards and "<h2>即将超期</h2>" not in cards  # its work has no deadline panels
    staff = client_for(cast.shequ).get("/").content.decode()
    assert "<h2>已超期</h2>" in staff and "<h2>即将超期</h2>" in staff
