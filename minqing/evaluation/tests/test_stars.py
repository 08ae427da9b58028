"""星级评定 end to end: scheme → formula scores from the week's metrics → manual scores with evidence
→ notice → fixed, with the refusals a user meets on the way, and stars gained or lost between years."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from minqing.evaluation import stars
from minqing.evaluation.models import Indicator, IndicatorSource, SchemeStatus, StarEvent, StarResult, StarScheme

from .conftest import at


def client_for(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def pdf(name: str = "台账.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"%PDF-1.4\n%evidence\n", content_type="application/pdf")


def score_all(scheme: StarScheme, actor, points: float) -> None:
    for c in stars.communities():
        for i in scheme.indicators.filter(source=IndicatorSource.MANUAL):
            stars.score_enter(scheme=scheme, community=c, indicator=i, points=Decimal(str(points)) * i.max_score / 100,
                              note="查阅台账", evidence=pdf(), actor=actor)


def test_the_whole_rating_flow(week, cast) -> None:
    scheme = stars.default_scheme(2026)
    duban = client_for(cast.duban)
    assert duban.post("/evaluation/stars/2026/do/start/").status_code == 302
    scheme.refresh_from_db()
    assert scheme.status == SchemeStatus.ASSESSING
    a = cast.community_a
    card = next(c for c in stars.cards(scheme) if c.community == a)
    # 服务群众星 from 瓜州路社区's 2026 figures: 30 × 响应率 3/4 (联系率) + 30 × 5/6 + 40 × 0.725 = 22.5 + 25.0 + 29.0.
    assert card.parts["服务群众星"] == Decimal("76.5")
    assert card.parts["平安建设星"] == Decimal("37.5")  # 50 × 解决率 0.75; 矛盾化解 not scored yet
    other = next(c for c in stars.cards(scheme) if c.community == cast.community_b)
    assert other.parts["服务群众星"] == Decimal("100.0")  # nothing to measure counts as full marks

    # Publishing with manual scores missing is refused, with the count.
    page = duban.post("/evaluation/stars/2026/do/publish/", follow=True)
    assert "项评审录入指标没有打分，不能发布公示" in page.content.decode()

    # An assessor's entry on the community's card: checked, kept on error, saved with evidence.
    indicator = scheme.indicators.get(name="党组织建设")
    url = f"/evaluation/stars/2026/{a.pk}/"
    bad = duban.post(url, {"indicator": indicator.pk, "points": "60", "note": "很好", "evidence": pdf()})
    assert bad.status_code == 400 and "得分必须在 0 到 50.0 之间" in bad.content.decode()
    assert 'value="60"' in bad.content.decode()
    no_file = duban.post(url, {"indicator": indicator.pk, "points": "45", "note": "很好"})
    assert "请上传佐证材料" in no_file.content.decode()
    not_pdf = duban.post(url, {"indicator": indicator.pk, "points": "45", "note": "很好",
                               "evidence": SimpleUploadedFile("x.pdf", b"MZ\x90\x00", content_type="application/pdf")})
    assert "不是有效的 PDF 文件" in not_pdf.content.decode()
    assert client_for(cast.jiedao).post(url, {"indicator": indicator.pk, "points": "45", "note": "x"}).status_code == 404
    ok = duban.post(url, {"indicator": indicator.pk, "points": "45", "note": "台账齐全", "evidence": pdf()})
    assert ok.status_code == 302
    score = indicator.scores.get(community=a)
    assert score.points == Decimal("45.0") and score.evidence_name == "台账.pdf"
    assert client_for(cast.shequ).get(f"/evaluation/stars/evidence/{score.pk}/").status_code == 200
    assert client_for(cast.shequ_b).get(f"/evaluation/stars/evidence/{score.pk}/").status_code == 404

    score_all(scheme, cast.duban, 90)  # 90 % of each manual indicator everywhere (overwrites A's 45)
    duban.post("/evaluation/stars/2026/do/publish/")
    scheme.refresh_from_db()
    assert scheme.status == SchemeStatus.NOTICE
    result = StarResult.objects.get(scheme=scheme, community=a)
    # A: 76.5 + 90 + 90 + (45 + 37.5) + 90 = 429.0 → every part ≥ 75 but total < 450 → 4 stars.
    assert result.total == Decimal("429.0") and result.stars == 4
    assert StarResult.objects.get(scheme=scheme, community=cast.community_b).stars == 5  # 100 + 90×3 + (45 + 50) = 465

    notice = Client().get("/r/stars/2026/").content.decode()
    assert "瓜州路社区" in notice and "429.0" in notice and "张大妈" not in notice

    # Fixing before the notice period ends is refused; afterwards it takes effect and cannot change.
    early = duban.post("/evaluation/stars/2026/do/fix/", follow=True)
    assert "结束后才能确认生效" in early.content.decode()
    with time_machine.travel(scheme.notice_until + dt.timedelta(minutes=1), tick=False):
        duban = client_for(cast.duban)  # a new day, a new sign-in
        duban.post("/evaluation/stars/2026/do/fix/")
    scheme.refresh_from_db()
    assert scheme.status == SchemeStatus.FIXED
    late = duban.post(url, {"indicator": indicator.pk, "points": "10", "note": "改分", "evidence": pdf()})
    assert "方案不在评定中" in late.content.decode()
    assert list(StarEvent.objects.filter(scheme=scheme).values_list("action", flat=True))[:2] == ["start", "compute"]
    assert {"publish", "fix", "score"} <= set(StarEvent.objects.filter(scheme=scheme).values_list("action", flat=True))


def test_stars_gained_and_lost_year_on_year(cast) -> None:
    for year, points in ((2025, 95), (2026, 70)):
        scheme = stars.default_scheme(year)
        with time_machine.travel(dt.datetime(year, 12, 1, 9, tzinfo=at(1, 1).tzinfo), tick=False):
            stars.scheme_start(scheme=scheme, actor=cast.duban)
            score_all(scheme, cast.duban, points)
            scheme = stars.publish(scheme=scheme, actor=cast.duban)
        with time_machine.travel(dt.datetime(year, 12, 20, 9, tzinfo=at(1, 1).tzinfo), tick=False):
            stars.fix(scheme=scheme, actor=cast.duban)
    page = client_for(cast.jiedao).get("/evaluation/stars/")
    rows = dict((c.name, cells) for c, cells in page.context["rows"])
    assert set(rows) == {"瓜州路社区", "西湖社区"}  # a street officer sees their street's communities
    # No requests in either year: 服务群众星 100, 问题解决 50; 2025 manual at 95 % → 5 stars; 2026 at 70 % → 3 stars.
    assert rows["瓜州路社区"] == [(5, None), (3, -2)]
    assert "降2星" in page.content.decode()


def test_reopen_during_notice_needs_a_reason_and_goes_back_to_assessing(cast) -> None:
    scheme = stars.default_scheme(2026)
    stars.scheme_start(scheme=scheme, actor=cast.duban)
    score_all(scheme, cast.duban, 85)
    stars.publish(scheme=scheme, actor=cast.duban)
    page = client_for(cast.duban).post("/evaluation/stars/2026/do/reopen/", {"reason": ""}, follow=True)
    assert "请填写撤回公示、重新评定的理由" in page.content.decode()
    page = client_for(cast.duban).post("/evaluation/stars/2026/do/reopen/", {"reason": "异" * 1001}, follow=True)
    assert "不能超过 1000 字（现在 1001 字）" in page.content.decode()  # refused, never cut short
    scheme.refresh_from_db()
    assert scheme.status == SchemeStatus.NOTICE
    client_for(cast.duban).post("/evaluation/stars/2026/do/reopen/", {"reason": "瓜州路社区对党建得分提出异议，经核实成立"})
    scheme.refresh_from_db()
    assert scheme.status == SchemeStatus.ASSESSING and not StarResult.objects.filter(scheme=scheme).exists()
    assert StarEvent.objects.filter(scheme=scheme, action="reopen").get().note.startswith("瓜州路社区")
    with pytest.raises(stars.Forbidden):
        stars.publish(scheme=scheme, actor=cast.jiedao)


@pytest.mark.parametrize(("formula", "message"), [
    ("", "请填写计算公式"),
    ("满意率 +", "公式写法不对"),
    ("房价 * 2", "“房价”不是可用的指标"),
    ("__import__('os')", r"只能调用 min\(\) 和 max"),
    ("满意率.real", "只能用"),
    ("'满意率'", "只能有数字和指标名称"),
    ("满意率 / 0", "除以零"),
])
def test_formulas_are_checked_when_the_scheme_is_edited(cast, formula, message) -> None:
    scheme = StarScheme.objects.create(year=2030)
    indicator = Indicator(scheme=scheme, part="服务群众星", name="满意", max_score=40, source="formula", formula=formula)
    with pytest.raises(ValidationError, match=message):
        indicator.full_clean()


def test_a_good_formula_scores_within_the_maximum(cast) -> None:
    from minqing.evaluation.figures import Figures

    f = Figures()
    f.counters.update(callbacks=4, satisfied=2, basic=1, solved=3)
    assert stars.evaluate("0.5*满意率 + 0.5*解决率", f) == pytest.approx(0.5 * 0.725 + 0.5 * 0.75)
    assert stars.evaluate("满意率 * 2", f) == 1.0  # kept within 0–1
    assert stars.evaluate("min(满意率, 解决率)（）".replace("（）", ""), f) == pytest.approx(0.725)


def test_star_board_and_awards_download_as_excel(cast) -> None:
    import io

    from openpyxl import load_workbook

    scheme = stars.default_scheme(2026)
    stars.scheme_start(scheme=scheme, actor=cast.duban)
    board = load_workbook(io.BytesIO(client_for(cast.jiedao).get("/evaluation/stars/2026/", {"format": "xlsx"}).content))
    rows = list(board.active.iter_rows(values_only=True))
    assert rows[0][:4] == ("名次", "街道", "社区", "服务群众星") and {r[2] for r in rows[1:]} == {"瓜州路社区", "西湖社区"}
    awards_book = load_workbook(io.BytesIO(client_for(cast.duban).get("/evaluation/awards/", {"format": "xlsx"}).content))
    assert awards_book.active["A1"].value == "奖项"
