"""Image bombs: a photo's pixels are counted from its header before anything is decoded, nothing is decoded
for a form that is refused, and a large photo is re-encoded by the worker (shown as 处理中 until then)."""

from __future__ import annotations

import datetime as dt
import io
import re
import struct
import zlib

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django_tasks_db.models import DBTaskResult
from PIL import Image, ImageOps

from minqing.conftest import image_file
from minqing.lib import uploads
from minqing.tickets import sweep
from minqing.tickets.actions.photos import photos_process
from minqing.tickets.models import Ticket, TicketAttachment
from minqing.tickets.tests.test_views import client_for, intake_form


def png_header(width: int, height: int) -> SimpleUploadedFile:
    """A PNG that claims to be width × height; its pixel data is a few bytes (as in a decompression bomb)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    body = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b""))
    return SimpleUploadedFile("炸弹.png", body, content_type="image/png")


@pytest.fixture
def decoding(monkeypatch) -> list[str]:
    """The format of every photo decoded (to be re-encoded)."""
    calls: list[str] = []
    real = ImageOps.exif_transpose

    def counted(image, **kwargs):
        calls.append(image.format)
        return real(image, **kwargs)

    monkeypatch.setattr(ImageOps, "exif_transpose", counted)
    return calls


@pytest.mark.parametrize(("width", "height"), [(6300, 6300), (30_000, 30_000)])
def test_too_many_pixels_are_refused_from_the_header_before_decoding(cast, settings, decoding, width, height) -> None:
    with pytest.raises(uploads.UploadError, match="分辨率过大"):
        uploads.prepare_images([png_header(width, height)])
    page = client_for(cast.wangge).post(reverse("ticket_new"), intake_form(cast, photos=[png_header(width, height)]))
    assert "分辨率过大" in page.content.decode() and Ticket.objects.count() == 0
    assert decoding == [] and settings.MINQING["ATTACHMENT_MAX_PIXELS"] == Image.MAX_IMAGE_PIXELS  # Pillow agrees


def test_nothing_is_decoded_for_a_form_that_is_refused(cast, decoding) -> None:
    c = client_for(cast.wangge)
    photos = [image_file(f"{i}.jpg") for i in range(9)]
    page = c.post(reverse("ticket_new"), intake_form(cast, reporter_phone="1234", photos=photos))
    assert "请填写正确的手机号" in page.content.decode() and Ticket.objects.count() == 0
    assert decoding == []  # the nine photos were checked, not re-encoded
    c.post(reverse("ticket_new"), intake_form(cast, photos=[image_file(f"{i}.jpg") for i in range(2)]))
    assert Ticket.objects.count() == 1 and len(decoding) == 2  # once valid, small photos at once


def test_a_large_photo_waits_for_the_worker_and_is_never_served_as_uploaded(cast, settings, decoding) -> None:
    settings.MINQING = {**settings.MINQING, "ATTACHMENT_INLINE_PIXELS": 1000}  # 64 × 48 is "large" here
    exif = Image.Exif()
    exif[0x010F] = "CameraMaker"
    c = client_for(cast.wangge)
    c.post(reverse("ticket_new"), intake_form(cast, photos=[image_file(exif=exif.tobytes())]))
    photo = TicketAttachment.objects.get()
    assert decoding == [] and photo.state == "processing" and photo.file.name.startswith("quarantine/")
    task = DBTaskResult.objects.get(task_path__endswith="process_photos")
    assert task.args_kwargs["args"] == [[photo.pk]]  # queued with the request, in its transaction
    url = reverse("attachment", args=[photo.pk])
    pending = c.get(url)
    assert pending["Content-Type"].startswith("image/svg+xml") and "照片处理中" in pending.content.decode()
    assert b"CameraMaker" not in pending.content and pending["Cache-Control"] == "no-store"

    upload = photo.file.name
    assert photos_process(ids=task.args_kwargs["args"][0]) == {"ready": 1, "failed": 0, "skipped": 0}
    photo.refresh_from_db()
    assert photo.state == "ready" and photo.file.name.startswith("tickets/") and photo.content_type == "image/jpeg"
    assert not uploads.default_storage.exists(upload)  # the upload as received is gone
    served = c.get(url)
    with Image.open(io.BytesIO(b"".join(served.streaming_content))) as img:
        assert img.format == "JPEG" and not img.getexif()
    assert photos_process(ids=[photo.pk]) == {"ready": 0, "failed": 0, "skipped": 1}  # a second task does nothing


def test_a_photo_the_worker_cannot_read_is_marked_and_never_served(cast, settings) -> None:
    settings.MINQING = {**settings.MINQING, "ATTACHMENT_INLINE_PIXELS": 1000}
    c = client_for(cast.wangge)
    c.post(reverse("ticket_new"), intake_form(cast, photos=[image_file()]))
    photo = TicketAttachment.objects.get()
    with uploads.default_storage.open(photo.file.name, "wb") as f:  # damaged after the check
        f.write(b"\xff\xd8\xff\xe0 broken")
    assert photos_process(ids=[photo.pk])["failed"] == 1
    photo.refresh_from_db()
    assert photo.state == "failed" and not uploads.default_storage.exists(photo.file.name)
    assert "照片无法处理" in c.get(reverse("attachment", args=[photo.pk])).content.decode()
    assert Client().get(reverse("attachment", args=[photo.pk])).status_code == 403  # access first, as before


def test_a_photo_whose_task_was_lost_is_queued_again_three_times_at_most(cast, settings) -> None:
    settings.MINQING = {**settings.MINQING, "ATTACHMENT_INLINE_PIXELS": 1000}
    client_for(cast.wangge).post(reverse("ticket_new"), intake_form(cast, photos=[image_file()]))
    photo = TicketAttachment.objects.get()
    DBTaskResult.objects.all().delete()  # the worker died holding it
    later = photo.queued_at + dt.timedelta(minutes=11)
    with time_machine.travel(later, tick=False):
        sweep.sweep_once()
    assert DBTaskResult.objects.filter(task_path__endswith="process_photos").count() == 1
    TicketAttachment.objects.filter(pk=photo.pk).update(attempts=3)
    with time_machine.travel(later + dt.timedelta(minutes=11), tick=False):
        sweep.sweep_once()
    photo.refresh_from_db()
    assert photo.state == "failed" and DBTaskResult.objects.count() == 1


def test_photos_are_kept_when_the_rest_of_the_form_fails(cast) -> None:
    """A worker who typed a wrong phone number does not select the photos again: they come back ticked, and
    the next try stores them once; a forged or unticked one is not stored."""
    c = client_for(cast.wangge)
    page = c.post(reverse("ticket_new"), intake_form(cast, reporter_phone="1234",
                                                     photos=[image_file("路灯.jpg"), image_file("楼道.png", fmt="PNG")]))
    html = page.content.decode()
    assert "请填写正确的手机号" in html and "已保留上次选择的 2 张照片" in html and "路灯.jpg" in html
    tokens = re.findall(r'name="photos_held" value="([^"]+)"', html)
    assert len(tokens) == 2 and Ticket.objects.count() == 0 and TicketAttachment.objects.count() == 0
    c.post(reverse("ticket_new"), intake_form(cast, photos_held=[tokens[0], tokens[0] + "x"]))
    ticket = Ticket.objects.get()
    assert ticket.attachments.count() == 1  # the unticked one and the forged token are not stored
    assert uploads.release(tokens[0] + "x") is None


def test_kept_photos_count_towards_the_limit_and_are_purged_after_a_day(cast) -> None:
    c = client_for(cast.wangge)
    html = c.post(reverse("ticket_new"), intake_form(cast, reporter_phone="1234",
                                                     photos=[image_file(f"{i}.jpg") for i in range(8)])).content.decode()
    tokens = re.findall(r'name="photos_held" value="([^"]+)"', html)
    page = c.post(reverse("ticket_new"), intake_form(cast, photos_held=tokens,
                                                     photos=[image_file("a.jpg"), image_file("b.jpg")]))
    assert "最多上传 9 张照片" in page.content.decode() and Ticket.objects.count() == 0
    _, held = uploads.default_storage.listdir(uploads.HELD)
    assert len(held) == 8
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(days=1, minutes=1)):
        assert uploads.purge_held(now=dt.datetime.now(dt.UTC)) == 8
        assert uploads.release(tokens[0]) is None
