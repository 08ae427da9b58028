"""Reporters' phone numbers are encrypted at rest, found by exact number through a keyed hash, and the
encryption key can be rotated."""

from __future__ import annotations

from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection
from django.test import Client

from minqing.lib import crypto
from minqing.tickets.models import Ticket
from minqing.tickets.queries import public_lookup


def raw_phone(ticket: Ticket) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT reporter_phone, reporter_phone_hash FROM tickets_ticket WHERE id = %s", [ticket.pk])
        return cursor.fetchone()


def test_the_database_holds_no_phone_number_in_clear(cast) -> None:
    t = cast.new_ticket(reporter_phone="13912345678")
    stored, digest = raw_phone(t)
    assert stored.startswith("gAAAAA") and "13912345678" not in stored and len(digest) == 64
    assert Ticket.objects.get(pk=t.pk).reporter_phone == "13912345678"
    assert public_lookup(t.number, "13912345678") == t and public_lookup(t.number, "13900000000") is None
    staff = Client()
    staff.force_login(cast.shequ)
    found = staff.get("/tickets/", {"q": "139 1234 5678"}).content.decode()
    assert t.number in found
    assert t.number not in staff.get("/tickets/", {"q": "13900000000"}).content.decode()


def test_keys_rotate_without_losing_a_number(cast, monkeypatch) -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    monkeypatch.setenv("MINQING_FIELD_KEYS", old)
    crypto.reset_keys()
    try:
        t = cast.new_ticket(reporter_phone="13912345678")
        monkeypatch.setenv("MINQING_FIELD_KEYS", f"{new},{old}")  # the new key in front, the old still reads
        crypto.reset_keys()
        assert Ticket.objects.get(pk=t.pk).reporter_phone == "13912345678"
        call_command("rotate_keys")
        monkeypatch.setenv("MINQING_FIELD_KEYS", new)  # the old key dropped
        crypto.reset_keys()
        assert Ticket.objects.get(pk=t.pk).reporter_phone == "13912345678"
        assert Fernet(new.encode()).decrypt(raw_phone(t)[0].encode()) == b"13912345678"
    finally:
        crypto.reset_keys()
