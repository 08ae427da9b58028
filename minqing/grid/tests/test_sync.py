"""The patrol page's sync endpoint: each record exists once, however often it is sent."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone

from minqing.conftest import image_file
from minqing.grid import actions
from minqing.grid.models import Patrol, Visit

from .helpers import client_for, new_id, post, registry

pytestmark = pytest.mark.django_db


def start(client, grid, pid: str):
    return post(client, {"type": "patrol_start", "id": pid, "grid": grid.pk, "at": timezone.now().isoformat()})


def visit(pid: str, vid: str, household=None, **more) -> dict:
    return {"type": "visit", "id": vid, "patrol": pid, "household": household.pk if household else None,
            "place": "" if household else "3号楼楼道", "finding": "problem", "note": "楼道灯坏了，老人晚上下楼看不见。",
            "at": timezone.now().isoformat(), "lat": "36.061234", "lng": "103.801234", **more}


def test_a_patrol_and_a_visit_posted_twice_exist_once(cast) -> None:
    households = registry(cast)
    c = client_for(cast.wangge)
    pid, vid = new_id(), new_id()
    first = start(c, cast.grid_a, pid)
    assert first.status_code == 200 and first.json() == {"ok": True, "id": pid, "created": True}
    again = start(c, cast.grid_a, pid)
    assert again.status_code == 200 and again.json()["created"] is False
    assert Patrol.objects.filter(uuid=pid).count() == 1

    r1 = post(c, visit(pid, vid, households[0]), photo=image_file())
    r2 = post(c, visit(pid, vid, households[0]), photo=image_file())  # the same record, its photo sent again
    assert (r1.json()["created"], r2.json()["created"]) == (True, False)
    assert Visit.objects.filter(uuid=vid).count() == 1
    v = Visit.objects.get(uuid=vid)
    assert v.patrol.uuid.hex == pid.replace("-", "") and v.household == households[0] and v.grid == cast.grid_a
    assert str(v.latitude) == "36.061234" and v.photo
    _, stored = default_storage.listdir(v.photo.rsplit("/", 1)[0])
    assert len(stored) == 1  # the retry stored no second photo


def test_a_retry_after_a_lost_response_changes_nothing(cast) -> None:
    """The server saved the visit but the phone never heard back: it sends the same record later, possibly
    with a different note typed since; the first one stands."""
    registry(cast)
    c = client_for(cast.wangge)
    pid, vid = new_id(), new_id()
    start(c, cast.grid_a, pid)
    post(c, visit(pid, vid))  # response lost
    retry = post(c, visit(pid, vid, note="改过的内容，再发一次。"))
    assert retry.status_code == 200 and retry.json() == {"ok": True, "id": vid, "created": False}
    assert list(Visit.objects.values_list("note", flat=True)) == ["楼道灯坏了，老人晚上下楼看不见。"]


def test_two_copies_arriving_together_meet_at_the_unique_index(cast, monkeypatch) -> None:
    """Both copies pass the "already saved?" check before either writes: the second insert fails on the unique
    UUID and returns the first copy's row instead of an error."""
    registry(cast)
    vid = new_id()
    first, created = actions.visit_record(actor=cast.wangge, client_id=vid, grid=cast.grid_a, place="北门",
                                          note="情况正常")
    assert created
    real_filter = Visit.objects.filter

    def not_seen_yet(*args, **kwargs):
        qs = real_filter(*args, **kwargs)
        return qs.none() if "uuid" in kwargs else qs

    monkeypatch.setattr(Visit.objects, "filter", not_seen_yet)
    second, created = actions.visit_record(actor=cast.wangge, client_id=vid, grid=cast.grid_a, place="北门",
                                           note="情况正常")
    assert not created and second.pk == first.pk
    monkeypatch.undo()
    assert Visit.objects.filter(uuid=vid).count() == 1


def test_ending_a_patrol_twice_keeps_the_first_end(cast) -> None:
    c = client_for(cast.wangge)
    pid = new_id()
    start(c, cast.grid_a, pid)
    end = timezone.now()
    r = post(c, {"type": "patrol_end", "id": pid, "note": "走访 12 户", "at": end.isoformat()})
    assert r.status_code == 200
    post(c, {"type": "patrol_end", "id": pid, "note": "又发一次", "at": (end + dt.timedelta(minutes=5)).isoformat()})
    p = Patrol.objects.get(uuid=pid)
    assert p.note == "走访 12 户" and abs((p.ended_at - end).total_seconds()) < 1


def test_someone_elses_record_id_is_refused(cast) -> None:
    pid = new_id()
    start(client_for(cast.wangge), cast.grid_a, pid)
    other = cast.users["admin"]
    r = post(client_for(other), {"type": "patrol_end", "id": pid})
    assert r.status_code == 403  # not a grid worker at all
    assert Patrol.objects.get(uuid=pid).ended_at is None


def test_bad_records_get_a_chinese_reason_and_write_nothing(cast) -> None:
    registry(cast)
    c = client_for(cast.wangge)
    pid = new_id()
    start(c, cast.grid_a, pid)
    cases = [
        ({"type": "visit", "id": "not-a-uuid"}, 422, "编号"),
        (visit(pid, new_id(), note="短"), 422, "至少 5 个字"),
        (visit(pid, new_id(), place="", household=None), 422, "住户"),
        (visit(new_id(), new_id()), 422, "巡查还没有上传"),  # the visit's patrol has not arrived yet: try later
        (visit(pid, new_id(), at=(timezone.now() + dt.timedelta(hours=3)).isoformat()), 422, "手机时间"),
        ({"type": "patrol_start", "id": new_id(), "grid": cast.grid_b.pk}, 422, "网格"),  # not their grid
        ({"type": "explode", "id": new_id()}, 422, "未知"),
        (visit(pid, new_id(), at="2026-02-30T10:00:00+08:00"), 422, "时间格式"),
    ]
    for record, status, words in cases:
        r = post(c, record)
        assert r.status_code == status, (record, r.content)
        assert words in r.json()["message"], r.json()
    assert Visit.objects.count() == 0 and Patrol.objects.count() == 1
    assert c.post("/grid/sync/", {"record": "{oops"}).status_code == 400


def test_signed_out_and_non_workers_are_refused(cast) -> None:
    from django.test import Client

    record = {"type": "patrol_start", "id": new_id(), "grid": cast.grid_a.pk}
    assert post(Client(), record).status_code == 401  # the page keeps it queued and asks to sign in
    for who in ("shequ", "jumin", "bumen"):
        assert post(client_for(cast.users[who]), record).status_code == 403
    assert not Patrol.objects.exists()


def test_a_photo_that_is_no_image_is_refused(cast) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    c = client_for(cast.wangge)
    pid = new_id()
    start(c, cast.grid_a, pid)
    r = post(c, visit(pid, new_id()), photo=SimpleUploadedFile("a.jpg", b"not a picture", content_type="image/jpeg"))
    assert r.status_code == 422 and "图片" in r.json()["message"] and not Visit.objects.exists()


def test_the_endpoint_needs_the_csrf_token(cast) -> None:
    import json

    from django.test import Client

    c = Client(enforce_csrf_checks=True)
    c.force_login(cast.wangge)
    record = {"type": "patrol_start", "id": new_id(), "grid": cast.grid_a.pk}
    assert c.post("/grid/sync/", {"record": json.dumps(record)}).status_code == 403
    c.get("/grid/patrol/")  # the page sets the cookie the script sends back as X-CSRFToken
    token = c.cookies["csrftoken"].value
    r = c.post("/grid/sync/", {"record": json.dumps(record)}, headers={"X-CSRFToken": token})
    assert r.status_code == 200 and Patrol.objects.count() == 1
