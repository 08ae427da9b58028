"""Residents' numbers do not end up in logs or in the admin's outbox."""

from __future__ import annotations

import logging

from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from minqing.notifications.backends import ConsoleSMSBackend
from minqing.notifications.models import OutboundMessage


def test_the_console_sms_log_masks_the_number(caplog) -> None:
    with caplog.at_level(logging.INFO, logger="minqing.sms"):
        ConsoleSMSBackend().send(to="13812345678", template="accepted", params={}, body="您的诉求已受理")
    assert "138****5678" in caplog.text and "13812345678" not in caplog.text


def test_the_admin_outbox_masks_recipients(cast) -> None:
    message = OutboundMessage.objects.create(channel="sms", to="13812345678", template="accepted", params={},
                                             body="您的诉求已受理")
    admin = cast.admin
    admin.set_password("Admin@2026x")
    admin.save()
    device = TOTPDevice.objects.create(user=admin, name="验证器", confirmed=True)
    code = f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"
    c = Client()
    assert c.post("/login/", {"username": admin.username, "password": "Admin@2026x", "otp_token": code}).status_code == 302
    for url in ["/admin/notifications/outboundmessage/", f"/admin/notifications/outboundmessage/{message.pk}/change/"]:
        page = c.get(url)
        assert page.status_code == 200
        assert "138****5678" in page.content.decode() and "13812345678" not in page.content.decode(), url
