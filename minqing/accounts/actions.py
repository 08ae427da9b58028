"""Writes about accounts: turning the second factor (TOTP, django-otp) on and off."""

from __future__ import annotations

import base64

from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from .models import User


def second_factor_devices(user: User) -> tuple[TOTPDevice | None, TOTPDevice | None]:
    """(the confirmed device, the one being set up)."""
    return (TOTPDevice.objects.filter(user=user, confirmed=True).first(),
            TOTPDevice.objects.filter(user=user, confirmed=False).first())


def second_factor_start(*, user: User) -> TOTPDevice | None:
    """A new, unconfirmed authenticator (any earlier unconfirmed one is dropped); None if one is already on."""
    with transaction.atomic():
        if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
            return None
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        return TOTPDevice.objects.create(user=user, name="手机验证器", confirmed=False)


def second_factor_confirm(*, user: User, token: str) -> TOTPDevice | None:
    """Confirm the authenticator being set up with its current code; the device, or None if the code is wrong."""
    _, pending = second_factor_devices(user)
    if pending is None or not pending.verify_token(token):
        return None
    TOTPDevice.objects.filter(pk=pending.pk).update(confirmed=True)
    return pending


def second_factor_remove(*, user: User, token: str) -> bool:
    """Turn the second factor off; it takes the current code."""
    confirmed, _ = second_factor_devices(user)
    if confirmed is None or not confirmed.verify_token(token):
        return False
    confirmed.delete()
    return True


def secret_text(device: TOTPDevice) -> str:
    """The key as people type it into an authenticator: base32 in groups of four."""
    text = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(text[i:i + 4] for i in range(0, len(text), 4))
