"""Intake: numbers, deadlines from policy, validation in Chinese, photos."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from minqing.conftest import image_file
from minqing.lib.uploads import UploadError, prepare_images
from minqing.org.models import Area
from minqing.tickets import actions
from minqing.tickets.models import CalendarDay, Category, DeadlinePolicy, Ticket, TicketAttachment, TicketCounter

TZ = ZoneInfo("Asia/Shanghai")


def media_files() -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_numbers_are_readable_sequential_per_day_and_never_reused(cast) -> None:
    with time_machine.travel(dt.datetime(2026, 11, 30, 9, 0, tzinfo=TZ), tick=False):
        a = cast.new_ticket()
        b = cast.new_ticket()
    with time_machine.travel(dt.datetime(2026, 12, 1, 9, 0, tzinfo=TZ), tick=False):
        c = cast.new_ticket()
    assert (a.number, b.number, c.number) == ("MQ-20261130-00001", "MQ-20261130-00002", "MQ-20261201-00001")
    # A failed intake does not hand out a number twice either.
    with pytest.raises(actions.ActionError), time_machine.travel(dt.datetime(2026, 11, 30, 10, 0, tzinfo=TZ)):
        cast.new_ticket(reporter_phone="bad")
    with time_machine.travel(dt.datetime(2026, 11, 30, 11, 0, tzinfo=TZ), tick=False):
        d = cast.new_ticket()
    assert d.number == "MQ-20261130-00003"
    assert TicketCounter.objects.get(day=dt.date(2026, 11, 30)).last == 3


def test_response_deadline_follows_the_policy_in_working_hours(cast) -> None:
    # Friday 17:00, urgent: 2 working hours → Monday 09:30.
    with time_machine.travel(dt.datetime(2026, 11, 27, 17, 0, tzinfo=TZ), tick=False):
        t = cast.new_ticket(urgency="urgent")
    assert t.response_due_at.astimezone(TZ) == dt.datetime(2026, 11, 30, 9, 30, tzinfo=TZ)


def test_dispatch_deadline_uses_the_categorys_own_policy_and_complexity(cast) -> None:
    # 违规私搭乱建 has 10 working days (30 if complex) in the demo catalogue; the default is 5.
    with time_machine.travel(dt.datetime(2026, 11, 30, 9, 0, tzinfo=TZ), tick=False):
        lamp = actions.ticket_accept(ticket=cast.new_ticket(code="WY01"), actor=cast.shequ)
        lamp = actions.ticket_dispatch(ticket=lamp, actor=cast.shequ, unit=cast.unit("东方物业"))
        shed = actions.ticket_accept(ticket=cast.new_ticket(code="SR01"), actor=cast.shequ)
        shed = actions.ticket_dispatch(ticket=shed, actor=cast.shequ, unit=cast.unit("区城市管理行政执法局"),
                                       complexity="complex")
    assert lamp.resolve_due_at.astimezone(TZ) == dt.datetime(2026, 12, 7, 9, 0, tzinfo=TZ)
    assert shed.resolve_due_at.astimezone(TZ) == dt.datetime(2027, 1, 11, 9, 0, tzinfo=TZ)


def test_deadline_into_an_unpublished_year_uses_the_admins_schedule(cast) -> None:
    # Late December: 5 working days run into 2027, which the holiday library does not know.
    CalendarDay.objects.create(date=dt.date(2027, 1, 1), is_workday=False, name="元旦")
    with time_machine.travel(dt.datetime(2026, 12, 29, 9, 0, tzinfo=TZ), tick=False):
        t = actions.ticket_accept(ticket=cast.new_ticket(), actor=cast.shequ)
        t = actions.ticket_dispatch(ticket=t, actor=cast.shequ, unit=cast.unit("东方物业"))
    # Dec 30, 31, (Jan 1 off), Jan 4, 5, 6 → Jan 6 09:00
    assert t.resolve_due_at.astimezone(TZ) == dt.datetime(2027, 1, 6, 9, 0, tzinfo=TZ)


def test_policy_changes_made_by_admins_apply_to_new_dispatches(cast) -> None:
    DeadlinePolicy.objects.filter(category=None, urgency="normal").update(resolve_days=2)
    with time_machine.travel(dt.datetime(2026, 11, 30, 9, 0, tzinfo=TZ), tick=False):
        t = actions.ticket_accept(ticket=cast.new_ticket(), actor=cast.shequ)
        t = actions.ticket_dispatch(ticket=t, actor=cast.shequ, unit=cast.unit("东方物业"))
    assert t.resolve_due_at.astimezone(TZ) == dt.datetime(2026, 12, 2, 9, 0, tzinfo=TZ)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"text": ""}, "text", "请填写诉求内容"),
        ({"text": "灯" * 10_000}, "text", "不能超过 2000 字"),
        ({"text": "坏了"}, "text", "太短"),
        ({"reporter_phone": "1234"}, "reporter_phone", "手机号"),
        ({"reporter_name": ""}, "reporter_name", "反映人姓名"),
        ({"channel": "fax"}, "channel", "来源渠道"),
        ({"type": "praise"}, "type", "诉求类型"),
    ],
)
def test_bad_input_is_refused_in_chinese_and_nothing_is_written(cast, changes: dict, field: str, message: str) -> None:
    count = Ticket.objects.count()
    with pytest.raises(actions.ActionError, match=message) as err:
        cast.new_ticket(**changes)
    assert err.value.field == field
    assert Ticket.objects.count() == count


def test_first_level_category_or_one_not_offered_in_the_street_is_refused(cast) -> None:
    with pytest.raises(actions.ActionError, match="二级分类"):
        cast.new_ticket(category=Category.objects.get(code="WY"))
    restricted = cast.category("WY02")
    restricted.streets.add(Area.objects.get(name="西站街道"))
    with pytest.raises(actions.ActionError, match="不适用于西湖街道"):
        cast.new_ticket(category=restricted)


def test_staff_cannot_record_outside_their_area(cast) -> None:
    with pytest.raises(actions.Forbidden, match="不在您的工作范围"):
        cast.new_ticket(actor=cast.shequ_b)  # community B's staff, location in community A
    with pytest.raises(actions.Forbidden):
        cast.new_ticket(actor=cast.bumen)


def test_anonymous_reports_keep_nothing_that_identifies_the_reporter(cast) -> None:
    t, code = actions.ticket_create(actor=None, intake=actions.Intake(
        channel="online", type="complaint", category=cast.category(), text="楼下烧烤摊吵到半夜两点。",
        area=cast.compound_a, anonymous=True, reporter_name="王五", reporter_phone="13811112222",
        reporter_user=cast.jumin,
    ))
    assert re.fullmatch(r"\d{8}", code)
    t.refresh_from_db()
    assert (t.reporter_name, t.reporter_phone, t.reporter_user, t.created_by) == ("", "", None, None)
    assert code not in t.tracking_code_hash


def test_photos_are_stored_reencoded_and_without_exif_location(cast) -> None:
    exif = Image.Exif()
    exif[0x010F] = "CameraMaker"  # any EXIF at all must go
    photo = image_file(exif=exif.tobytes())
    prepared = prepare_images([photo])
    t = cast.new_ticket(photos=prepared)
    att = TicketAttachment.objects.get(ticket=t)
    assert att.content_type == "image/jpeg" and (att.width, att.height) == (64, 48)
    with Image.open(att.file.path) as img:
        assert not img.getexif()


def test_a_file_that_is_not_an_image_is_refused_whatever_its_name(cast) -> None:
    fake = SimpleUploadedFile("photo.jpg", b"%PDF-1.4 not an image", content_type="image/jpeg")
    with pytest.raises(UploadError, match="不是有效的图片"):
        prepare_images([fake])


def test_too_large_or_too_many_photos_are_refused(cast, settings) -> None:
    settings.MINQING = {**settings.MINQING, "ATTACHMENT_MAX_BYTES": 1000}
    with pytest.raises(UploadError, match="超过"):
        prepare_images([image_file(size=(400, 400))])
    settings.MINQING = {**settings.MINQING, "ATTACHMENT_MAX_BYTES": 10**7, "ATTACHMENT_MAX_COUNT": 2}
    with pytest.raises(UploadError, match="最多上传 2 张"):
        prepare_images([image_file(), image_file(), image_file()])


def test_a_failed_action_leaves_no_photo_file_behind(cast, monkeypatch) -> None:
    prepared = prepare_images([image_file(), image_file("b.png", fmt="PNG")])
    from minqing.tickets import consumers

    def failing_enqueue(events):
        assert media_files(), "the photos are stored before the step's last write"
        raise RuntimeError("database went away after the files were written")

    monkeypatch.setattr(consumers, "enqueue", failing_enqueue)
    count = Ticket.objects.count()
    with pytest.raises(RuntimeError):
        cast.new_ticket(photos=prepared)
    assert Ticket.objects.count() == count
    assert TicketAttachment.objects.count() == 0
    assert media_files() == []


def test_safety_words_make_a_request_urgent_and_say_why(cast) -> None:
    from minqing.tickets.models import DEFAULT_URGENCY_WORDS, UrgencyWord

    UrgencyWord.objects.bulk_create([UrgencyWord(word=w) for w in DEFAULT_URGENCY_WORDS], ignore_conflicts=True)
    with time_machine.travel(dt.datetime(2026, 11, 30, 9, 0, tzinfo=TZ), tick=False):
        t = cast.new_ticket(text="3号楼二单元楼道里一股煤气味，怀疑燃气泄漏，老人不敢开灯！", urgency="normal")
        calm = cast.new_ticket(text="3号楼前面的路灯坏了快一个月了。")
    assert t.urgency == "urgent" and t.urgent_words == "煤气味、燃气泄漏"
    assert t.response_due_at.astimezone(TZ) == dt.datetime(2026, 11, 30, 11, 0, tzinfo=TZ)  # 2 working hours
    assert t.events.get().data["urgent_words"] == ["煤气味", "燃气泄漏"]
    assert calm.urgency == "normal"
    from minqing.accounts.scope import scope_for
    from minqing.tickets import queries

    assert list(queries.queue(scope_for(cast.shequ), "received"))[0] == t  # urgent first
    for word in UrgencyWord.objects.filter(word__in=["煤气味", "燃气泄漏"]):  # as the admin does: one save each
        word.active = False
        word.save()
    assert cast.new_ticket(text="楼道里一股煤气味，怀疑燃气泄漏。").urgency == "normal"
