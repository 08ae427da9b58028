"""The suggestion panel shows probable duplicates only from the typist's own scope."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse


def test_suggest_never_shows_requests_outside_the_users_scope(cast) -> None:
    text = "3号楼前面的路灯坏了快一个月了，晚上黑乎乎的。"
    theirs = cast.new_ticket(text=text)  # community A
    c = Client()
    c.force_login(cast.shequ_b)  # community B's worker, naming community A's area
    page = c.post(reverse("triage_suggest"), {"text": text, "community": cast.community_a.pk}).content.decode()
    assert theirs.number not in page
    c.force_login(cast.shequ)  # A's own worker does see it
    page = c.post(reverse("triage_suggest"), {"text": text, "community": cast.community_a.pk}).content.decode()
    assert theirs.number in page
