"""Same matter = same place + same problem: what is read out of a message (roads, compounds, buildings,
house numbers, landmarks, villages, the district's own names), the different-place rule, copies, the
reasons shown, and hotspots that stay in one place."""

from __future__ import annotations

import csv
from pathlib import Path

from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from minqing.tickets.models import Ticket
from minqing.triage import actions
from minqing.triage.cluster import Location, cluster, groups
from minqing.triage.evaluation import evaluate_clusters
from minqing.triage.matter import COMMUNITY, COMPOUND, LANDMARK, ROAD, STREET, VILLAGE, Gazetteer, read, same_name


def names(text: str, gazetteer: Gazetteer | None = None) -> dict[str, str]:
    return {m.name: m.kind for m in read(text, gazetteer or Gazetteer()).places}


def test_roads_compounds_landmarks_and_villages_are_read_out_of_the_text() -> None:
    assert names("A7县东六路与漓楚路口照明光线太暗") == {"东六路": ROAD, "漓楚路": ROAD}
    assert names("我是暮云街道丽发新城小区的业主，投诉小区附近违建大型搅拌站") == {"丽发新城": COMPOUND}
    assert names("请维护铁路职工权益，伊景园·滨河苑捆绑销售车位") == {"伊景园": COMPOUND, "滨河苑": COMPOUND}
    assert names("A市涉外经济学院强制学生实习") == {"涉外经济学院": LANDMARK}
    assert names("A3区西湖街道茶场村五组什么时候能拆迁") == {"茶场村": VILLAGE}
    assert read("A3区西湖街道茶场村五组什么时候能拆迁").units == {"5组"}  # a part of the village
    assert names("A市江山帝景A14栋新房有安全隐患")["江山帝景"] == COMPOUND  # no suffix: named by its building
    # Words that look like places and are not: 路灯, 政府, 严重影响小区, 马路, 公交线路.
    assert names("希望政府修一修路灯，严重影响小区居民出行，马路上全是坑，公交线路也少") == {}
    m = read("A3区暮云街道丽发新城")
    assert m.areas == {"a3区", "暮云街道"}  # administrative areas only tell places apart


def test_buildings_house_numbers_and_phases_narrow_a_place_down() -> None:
    assert read("金城花园3号楼前面的路灯坏了").units == {"3栋"}
    assert read("辉煌国际城二期5栋105商铺违法开饭店").units == {"2期", "5栋"}
    assert names("辉煌国际城二期5栋105商铺") == {"辉煌国际城": COMPOUND}  # the phase is a unit, not a name
    assert read("金城花园十一栋楼道堆满杂物").units == {"11栋"}
    assert read("中山路48号门口的垃圾没人清运").units == {"中山路48号"}
    # The reporter's own building says where they live, not where the matter is.
    assert read("我是丽发新城7栋的业主，小区旁边的搅拌站噪音太大").units == set()


def test_the_districts_own_names_are_found_whatever_surrounds_them() -> None:
    gazetteer = Gazetteer.of([("上西园小区", COMPOUND), ("建西东路社区", COMMUNITY), ("西湖街道", STREET)])
    assert names("上西园小区门口的早市越摆越大", gazetteer) == {"上西园": COMPOUND}  # 上 usually ends a name
    assert names("建西东路那边的垃圾堆了三天", gazetteer) == {"建西东路": COMMUNITY}  # the community's road
    assert read("西湖街道办事处", gazetteer).areas == {"西湖街道"}


def test_one_place_spelled_two_ways_is_one_place_and_directions_are_not() -> None:
    assert same_name("滨河苑", "伊景园滨河苑") and same_name("联丰路", "沿着联丰路")
    assert same_name("捷聚飞迈网络", "聚捷飞迈网络")  # characters in another order (a typing slip)
    assert not same_name("人民东路", "人民西路") and not same_name("东六路", "东四路")
    assert not same_name("金城花园", "银城花园")


def test_the_same_problem_at_two_places_is_never_one_matter_and_a_copy_always_is() -> None:
    texts = [
        "A5区劳动东路魅力之城小区底层餐馆油烟扰民，窗户长期不能打开，晚上营业到凌晨3点",  # 0
        "A5区劳动东路魅力之城小区底层餐馆油烟扰民，窗户长期不能打开，晚上营业到凌晨3点",  # 1: a copy
        "魅力之城小区楼下几家餐馆油烟直排扰民，开窗全是油烟味，营业到凌晨",  # 2: same matter, other words
        "A2区南湖路森宇家园底层餐馆油烟扰民，窗户长期不能打开，晚上营业到凌晨3点",  # 3: same words, other place
        "A市商贸旅游职业技术学院强制学生实习，学校要求学生必须去学校安排的几个点实习",  # 4
        "A市经济学院强制学生实习，学校要求学生必须去学校安排的几个点实习",  # 5: same words, other school
        "金城花园3号楼前面的路灯坏了快一个月了，晚上黑乎乎的",  # 6
        "金城花园7号楼前面的路灯坏了快一个月了，晚上黑乎乎的",  # 7: another building is another place
    ]
    g = cluster(texts)
    assert g[0] is not None and g[0] == g[1] == g[2]
    assert g[3] != g[0] and (g[4] is None or g[4] != g[5]) and (g[6] is None or g[6] != g[7])


def test_different_problems_at_one_compound_are_two_matters() -> None:
    place = Location(community=1, compound=7, community_name="瓜州路社区", compound_name="金城花园")
    texts = ["金城花园门口的路坑坑洼洼，下雨天全是积水，请尽快处理", "金城花园的物业收了钱不干事，请尽快处理",
             "金城花园门口的路面坑洼，积水很深，电动车摔了", "金城花园物业不干事，楼道一个月没打扫"]
    found = groups(texts, locations=[place] * 4)
    assert sorted(g.members for g in found) == [[0, 2], [1, 3]]
    assert {g.place for g in found} == {"金城花园"}


def write(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def test_grouping_is_evaluated_on_labelled_pairs(tmp_path, capsys) -> None:
    write(tmp_path / "hot_issues.csv", ["id", "subject", "body", "created_at", "likes", "dislikes"], [
        ["1", "丽发新城小区旁边的搅拌站噪音扰民", "我是丽发新城小区业主，搅拌站灰尘噪音太大", "", "0", "0"],
        ["2", "投诉丽发新城附近违建搅拌站", "丽发新城小区附近的搅拌站噪音严重影响休息，灰尘很大", "", "0", "0"],
        ["3", "A市经济学院强制学生实习", "学校要求学生必须去学校安排的几个点实习，工资500元", "", "0", "0"],
        ["4", "A市商贸旅游职业技术学院强制学生实习", "学校要求学生必须去学校安排的几个点实习，工资500元", "", "0", "0"],
    ])
    pairs = write(tmp_path / "pairs.csv", ["id_a", "id_b", "same_place", "same_problem", "kind", "sample", "split",
                                           "place", "problem"],
                  [["1", "2", "1", "1", "same", "s3", "dev", "丽发新城", "搅拌站"],
                   ["3", "4", "0", "1", "other_place_same_words", "s2", "test", "两所学院", "强制实习"]])
    result = evaluate_clusters(tmp_path, pairs=pairs)
    assert result["same"] == 1.0 and result["different_place"] == 0.0 and result["precision"] == 1.0
    call_command("triage", "evaluate", "--clusters", "--data", str(tmp_path), "--pairs", str(pairs))
    out = capsys.readouterr().out
    assert "说法相同、地点不同：1 对，归为一组 0 对" in out and "精确率" in out and "召回率" in out


def test_duplicates_say_why_and_hotspots_stay_in_one_place(cast) -> None:
    first = cast.new_ticket(text="3号楼前面的路灯坏了快一个月了，晚上黑乎乎的。")
    second = cast.new_ticket(text="3号楼门前路灯坏了一个月，晚上特别黑，老人摔了。", reporter_phone="13900001111")
    cast.new_ticket(text="7号楼前面的路灯坏了快一个月了，晚上黑乎乎的。", reporter_phone="13900002222")
    found = actions.duplicates_for(text=second.text, street_id=second.street_id, community_id=second.community_id,
                                   compound_id=second.compound_id, exclude=second.pk)
    assert [d.ticket for d in found] == [first]  # building 7 is another place
    assert "同一地点" in found[0].reason and "3栋" in found[0].reason and "路灯" in found[0].reason
    c = Client()
    c.force_login(cast.shequ)
    fragment = c.get(reverse("triage_duplicates", args=[second.number])).content.decode()
    assert "同一地点" in fragment and "路灯" in fragment
    # The same words in community B are another place: the hotspot of community A holds A's reports only.
    for i in range(3):
        cast.new_ticket(text=f"3号楼前面的路灯又坏了，第{i + 1}次反映了，晚上黑乎乎的。", reporter_phone=f"1390000333{i}")
    cast.new_ticket(community="b", text="3号楼前面的路灯又坏了，第1次反映了，晚上黑乎乎的。")
    c.force_login(cast.duban)  # the district supervisor sees both communities
    page = c.get(reverse("hotspots")).content.decode()
    assert "路灯" in page and cast.compound_a.name in page and "3栋" in page
    spots = actions.hotspots(list(Ticket.objects.select_related("community", "compound")), days=90)
    assert [(s.count, s.communities) for s in spots] == [(5, [cast.community_a.name])]
    assert spots[0].place == f"{cast.compound_a.name} 3栋" and "路灯" in spots[0].problem


def test_a_rebuilt_index_finds_what_a_fresh_one_finds() -> None:
    import datetime as dt

    from minqing.triage.index import Entry, SimilarityIndex

    now = dt.datetime(2026, 11, 30, tzinfo=dt.UTC)
    texts = ["金城花园3号楼前面的路灯坏了", "金城花园门口的路坑坑洼洼，下雨天全是积水", "阳光小区3号楼前面的路灯坏了",
             "金城花园3号楼门前路灯坏了一个月，晚上特别黑"]
    first = SimilarityIndex([Entry(i, t, 1, 1, None, now) for i, t in enumerate(texts[:3])])
    entries = [Entry(i, t, 1, 1, None, now) for i, t in enumerate(texts)]
    again = SimilarityIndex(entries, previous=first)
    assert again.readings[0] is first.readings[0]  # read once, not at every rebuild
    fresh = SimilarityIndex(entries)
    query = "金城花园3号楼的路灯不亮了"
    assert [h.id for h in again.search(query)] == [h.id for h in fresh.search(query)] == [0, 3]


def test_evaluate_reports_accuracy_macro_f1_and_the_confusion_matrix(tmp_path, capsys) -> None:
    data = {"水电": ["家里停水三天了没人管", "自来水水压太低上不去", "小区突然停电了", "电表跳闸没人来修"],
            "噪音": ["楼下广场舞音响太吵", "工地半夜施工噪音扰民", "酒吧音乐声音太大睡不着", "装修电钻声从早到晚"]}
    write(tmp_path / "messages.csv", ["id", "subject", "body", "created_at", "label"],
          [[f"{label}{i}", "", text, "", label] for label, texts in data.items() for i, text in enumerate(texts)])
    call_command("triage", "evaluate", "--data", str(tmp_path), "--folds", "2")
    out = capsys.readouterr().out
    assert "2 折平均：macro-F1" in out and "准确率" in out and "混淆矩阵" in out
    assert "水电" in out.split("混淆矩阵")[1] and "噪音" in out.split("混淆矩阵")[1]
