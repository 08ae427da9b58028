"""Residents' numbers do not end up in logs or in the admin's outbox."""

from __future__ import annotations

import logging

from minqing.conftest import admin_client
from minqing.notifications.backends import ConsoleSMSBackend
from minqing.notifications.models import OutboundMessage


def test_the_console_sms_log_masks_the_number(caplog) -> None:
    with caplog.at_level(logging.INFO, logger="minqing.sms"):
        ConsoleSMSBackend().send(to="13812345678", template="accepted", params={}, body="您的诉求已受理")
    assert "138****5678" in caplog.text and "13812345678" not in caplog.text


def test_the_admin_outbox_masks_recipients(cast) -> None:
    message = OutboundMessage.objects.create(channel="sms", to="13812345678", template="accepted", params={},
                                             body="您的诉求已受理")
    c = admin_client(cast.admin)
    for url in ["/admin/notifications/outboundmessage/", f"/admin/notifications/outboundmessage/{message.pk}/change/"]:
        page = c.get(url)
        assert page.status_code == 200
        assert "138****5678" in page.content.decode() and "13812345678" not in page.content.decode(), url
