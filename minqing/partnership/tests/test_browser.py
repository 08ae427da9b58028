"""In headless Chromium: a community lists a need, a unit's resource is proposed, the unit takes it on,
the project is agreed, done and evaluated."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connections

from minqing.conftest import ARTIFACTS, build_cast, login
from minqing.partnership import actions
from minqing.partnership.models import Need, Project

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_need_becomes_an_evaluated_project(live_server, browser) -> None:
    cast = build_cast()
    actions.resource_create(actor=cast.wuye, unit=cast.unit("东方物业"), kind="services", title="公共设施义务维修",
                            brand="housing", capacity=24, unit_label="次", areas=[cast.community_a],
                            available_from=dt.date(2026, 1, 1))
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        # 1. The community lists a need; the property company's offer is proposed first.
        staff = login(browser, live_server, "shequ")
        staff.goto(f"{live_server.url}/lists/needs/new/")
        staff.select_option("#id_area", label=f"小区/楼院 · {cast.compound_a.name}")
        staff.fill("#id_title", "3号楼楼道灯坏了半年")
        staff.select_option("#id_brand", label="百姓安居")
        staff.fill("#id_households", "48")
        staff.get_by_role("button", name="保存").click()
        staff.wait_for_selector("#proposals")
        first = staff.locator("#proposals tbody tr").first
        assert "公共设施义务维修" in first.inner_text() and "覆盖本社区" in first.inner_text()
        first.locator("input[name=quantity]").fill("3")
        first.get_by_role("button", name="发起对接").click()
        staff.wait_for_selector("text=等待其揭榜承接")
        project_url = staff.url

        # 2. The unit takes it on (揭榜), the community agrees, the unit does the work.
        unit = login(browser, live_server, "wuye")
        unit.goto(project_url)
        unit.get_by_role("button", name="揭榜承接").click()
        unit.wait_for_selector("text=项目状态：已揭榜")
        staff.goto(project_url)
        staff.get_by_role("button", name="确认对接").click()
        staff.wait_for_selector("text=项目状态：已商定")
        unit.goto(project_url)
        unit.get_by_role("button", name="开始实施").click()
        unit.wait_for_selector("text=项目状态：实施中")
        unit.fill("#hours", "6")
        unit.fill("#note-finish", "换了 12 盏声控灯")
        unit.get_by_role("button", name="完成").click()
        unit.wait_for_selector("text=项目状态：已完成")

        # 3. The community evaluates it.
        staff.goto(project_url)
        staff.select_option("#rating", value="5")
        staff.fill("#note-evaluate", "楼道亮了，居民很满意")
        staff.get_by_role("button", name="评价").click()
        staff.wait_for_selector("text=项目状态：已评价")
        assert staff.locator("#project-state").inner_text() == "已评价"
        staff.screenshot(path=str(ARTIFACTS / "project-evaluated.png"), full_page=True)

        p = Project.objects.get()
        assert (p.state, p.rating, p.quantity) == ("evaluated", 5, 3)
        assert list(p.events.order_by("id").values_list("action", flat=True)) == [
            "propose", "claim", "agree", "start", "finish", "evaluate"]
        assert Need.objects.get().status == "done"
    finally:
        connections.close_all()
