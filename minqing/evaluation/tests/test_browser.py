"""The dashboards in headless Chromium with demo data: ECharts (served locally) draws every chart and
the map, nothing breaks the Content-Security-Policy, and the pictures are really on the canvas."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from minqing.conftest import ARTIFACTS, build_cast, login
from minqing.evaluation import demo as evaluation_demo
from minqing.org import demo as org_demo
from minqing.tickets import demo

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Share of a chart's canvas pixels in a colour: ECharts really drew bars/areas there.
INK = """(sel) => {
  const c = document.querySelector(sel + ' canvas');
  if (!c) return -1;
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let ink = 0;
  for (let i = 0; i < d.length; i += 4) if (d[i + 3] > 0 && (Math.abs(d[i] - d[i + 1]) > 60 || Math.abs(d[i] - d[i + 2]) > 60)) ink++;
  return ink / (d.length / 4);
}"""


def test_dashboards_and_map_draw_with_demo_data(live_server, browser) -> None:
    build_cast()
    now = timezone.now()
    demo.generate_tickets(count=400, seed=3, now=now, days=60)
    org_demo.draw()  # the map's boundaries
    evaluation_demo.build(now=now, seed=3)
    ARTIFACTS.mkdir(exist_ok=True)
    page = login(browser, live_server, "duban")
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"{page.url}: {e} {e.stack}"))

    page.goto(f"{live_server.url}/evaluation/?period=year&date={timezone.localdate():%Y-%m-%d}")
    for chart in ["trend", "funnel", "by_sub", "top"]:
        page.wait_for_selector(f"[data-chart={chart}][data-drawn='1'] canvas")
    page.wait_for_timeout(300)
    page.screenshot(path=str(ARTIFACTS / "evaluation-dashboard.png"), full_page=True)
    assert page.evaluate(INK, "[data-chart=by_sub]") > 0.05  # red bars for the nine streets
    assert page.evaluate(INK, "[data-chart=top]") > 0.05
    received = page.locator(".kpi").first.locator(".kpi-value").inner_text()
    assert int(received) > 300  # the year's requests (those created before this year excluded)

    page.goto(f"{live_server.url}/evaluation/map/?level=community&metric=received")
    page.wait_for_selector("[data-chart=map][data-drawn='1'] canvas")
    page.wait_for_timeout(300)
    page.screenshot(path=str(ARTIFACTS / "evaluation-map.png"), full_page=True)
    assert page.evaluate(INK, "[data-chart=map]") > 0.05  # coloured communities, no tiles needed
    # The numbers behind the map are a click away.
    page.get_by_role("link", name="瓜州路社区").first.click()
    page.wait_for_selector("[data-chart=map][data-drawn='1'] canvas")
    assert "网格地图" in page.locator("h1").inner_text()
    assert not problems, problems


def test_dates_before_any_data_show_an_empty_year(live_server, browser) -> None:
    build_cast()
    page = login(browser, live_server, "duban")
    page.goto(f"{live_server.url}/evaluation/?period=year&date={dt.date(2001, 1, 1)}")
    page.wait_for_selector("[data-chart=trend][data-drawn='1'] canvas")
    assert page.locator(".kpi-value").first.inner_text() == "0"
