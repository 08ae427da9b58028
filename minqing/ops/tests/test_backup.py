"""Back up, wipe, restore: every table has its rows again and the uploaded files are back, byte for byte."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import connections

from minqing.conftest import build_cast, image_file
from minqing.lib.uploads import prepare_images
from minqing.ops.backup import row_counts
from minqing.tickets import actions
from minqing.tickets.models import Ticket, TicketAttachment

pytestmark = pytest.mark.django_db(transaction=True)


def test_backup_wipe_restore_gives_back_the_same_data(tmp_path, settings) -> None:
    cast = build_cast()
    for i in range(3):
        actions.ticket_create(actor=cast.wangge, intake=actions.Intake(
            channel="visit", category=cast.category(), text=f"3号楼楼道灯坏了第{i}回", area=cast.compound_a,
            reporter_name="王大爷", reporter_phone="13912345678", photos=prepare_images([image_file()])))
    before = row_counts()
    photo = TicketAttachment.objects.first()
    photo_bytes = photo.file.read()
    target = tmp_path / "b.tar.gz"
    call_command("backup", str(target))

    call_command("flush", interactive=False, verbosity=0)  # the disaster
    for f in (settings.MEDIA_ROOT).rglob("*"):
        if f.is_file():
            f.unlink()
    assert Ticket.objects.count() == 0

    with pytest.raises(Exception, match="--yes"):
        call_command("restore", str(target))
    call_command("restore", str(target), "--yes")
    try:
        assert row_counts() == before
        assert Ticket.objects.count() == 3
        assert TicketAttachment.objects.get(pk=photo.pk).file.read() == photo_bytes
    finally:
        connections.close_all()
