"""The shared test cast: the demo district's organisation and accounts, one person per role.

    wangge   grid worker of 瓜州路社区第一网格 (community A)
    shequ    community staff of 瓜州路社区 (A)        shequ_b  community staff of 建西东路社区 (B)
    jiedao   street officer of 西湖街道 (A's street)  jiedao_b street officer of 西站街道 (B's street)
    bumen    department handler, 区城市管理行政执法局  zhujian  department handler, 区住建局
    wuye     partner contact, 东方物业 (in A)          duban    district supervisor
    jumin    resident                                  admin    administrator
"""

from __future__ import annotations

import datetime as dt
import io
import os
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from PIL import Image

from minqing.accounts.models import User
from minqing.org.models import Area, Unit
from minqing.tickets import actions, deadlines, demo
from minqing.tickets.models import Category, Channel, Ticket, TicketType


def pytest_configure(config) -> None:
    # The test client routes requests by path to the middleware chain production runs for them
    # (minqing/ops/lean.py: the JSON interfaces' short chain, the pages' whole stack).
    import django.test.client

    from minqing.ops.lean import client_handler

    django.test.client.ClientHandler = client_handler()  # type: ignore[misc]


@dataclass
class Cast:
    users: dict[str, User]
    community_a: Area
    community_b: Area
    grid_a: Area
    compound_a: Area
    grid_b: Area
    units: dict[str, Unit]

    def __getattr__(self, name: str) -> User:
        try:
            return self.__dict__["users"][name]
        except KeyError as exc:
            raise AttributeError(name) from exc

    def category(self, code: str = "WY01") -> Category:
        return Category.objects.get(code=code)

    def unit(self, name: str) -> Unit:
        return self.units[name]

    def new_ticket(self, *, actor: User | None = None, community: str = "a", code: str = "WY01", **kwargs) -> Ticket:
        area = self.compound_a if community == "a" else self.grid_b
        fields = {
            "channel": Channel.VISIT,
            "type": TicketType.HELP,
            "category": self.category(code),
            "title": "",
            "text": "3号楼前面的路灯坏了快一个月了，晚上黑乎乎的。",
            "area": area,
            "reporter_name": "张大妈",
            "reporter_phone": "13812345678",
        }
        fields.update(kwargs)
        actor = actor if actor is not None else (self.wangge if community == "a" else self.shequ_b)
        ticket, _ = actions.ticket_create(actor=actor, intake=actions.Intake(**fields))
        return ticket


def returned(ticket: Ticket, *, by: User, approver: User, reason: str = "不属于本单位职责。", unit: Unit | None = None) -> Ticket:
    """退单 as it happens: the holder applies, the level above approves (and may send it on to `unit`)."""
    app = actions.return_apply(ticket=ticket, actor=by, reason_code="remit", reason=reason)
    actions.application_decide(application=app, actor=approver, approve=True, note="同意退单", unit=unit)
    return Ticket.objects.get(pk=ticket.pk)


def suspended(ticket: Ticket, *, by: User, approver: User, until: dt.date, reason: str = "纳入明年计划。") -> Ticket:
    """缓办 as it happens: the holder applies with a planned date, the level above approves."""
    app = actions.suspend_apply(ticket=ticket, actor=by, until=until, reason=reason)
    actions.application_decide(application=app, actor=approver, approve=True, note="同意缓办")
    return Ticket.objects.get(pk=ticket.pk)


def build_cast() -> Cast:
    if not Area.objects.exists():
        demo.build_org()
        demo.build_catalogue()
        demo.build_accounts()
    areas = {a.name: a for a in Area.objects.all()}
    grid_a = areas["瓜州路社区第一网格"]
    return Cast(
        users={u.username: u for u in User.objects.all()},
        community_a=areas["瓜州路社区"],
        community_b=areas["建西东路社区"],
        grid_a=grid_a,
        compound_a=Area.objects.filter(parent=grid_a).order_by("code").first(),
        grid_b=areas["建西东路社区第一网格"],
        units={u.name: u for u in Unit.objects.all()},
    )


# Tests that need real row locks or several processes on one database. On SQLite they are skipped, with
# this reason; .ci/run runs the whole suite on PostgreSQL too, where they run.
POSTGRES_ONLY = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL: set DATABASE_URL (.ci/run does)"),
    pytest.mark.django_db(transaction=True),
]


def settle() -> dict[str, int]:
    """Run the event consumers to the end of the log, as `manage.py loop` does in the background: the
    notices, the evaluation's facts, webhooks, meeting resolutions and triage follow a step once it
    has committed. Tests that look at those call this first."""
    from minqing.tickets.consumers import consume_all

    return consume_all()


@pytest.fixture
def cast(db) -> Cast:
    return build_cast()


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    deadlines.reset_calendar()
    cache.clear()
    from minqing.triage.actions import index_reset

    index_reset()
    from minqing.org import location

    location.reset()  # the boundaries and gazetteer of an earlier test's (rolled back) database
    from minqing.lib import memo

    memo.forget()  # the reference data (area tree, catalogue, policies) of an earlier test's database


def image_file(name: str = "photo.jpg", *, fmt: str = "JPEG", size: tuple[int, int] = (64, 48), exif: bytes | None = None) -> SimpleUploadedFile:
    buf = io.BytesIO()
    img = Image.new("RGB", size, (200, 30, 30))
    kwargs = {"exif": exif} if exif else {}
    img.save(buf, format=fmt, **kwargs)
    return SimpleUploadedFile(name, buf.getvalue(), content_type=f"image/{fmt.lower()}")


# --- browser tests (headless Chromium: Debian's /usr/bin/chromium; Playwright's own download does not work here)
CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"  # screenshots the browser tests leave
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]


@pytest.fixture
def browser():
    # Playwright's sync API runs an event loop in this thread; Django's ORM calls in the test are
    # still synchronous and safe here.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


DEMO_PASSWORD = "Minqing@2026"  # noqa: S105 - the demo accounts' published password


def admin_client(user: User):
    """A test client logged in to the admin site as `user`, with password and an authenticator code."""
    from django.test import Client
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user.set_password("Admin@2026x")
    user.save()
    device = TOTPDevice.objects.create(user=user, name="验证器", confirmed=True)
    code = f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"
    c = Client()
    assert c.post("/login/", {"username": user.username, "password": "Admin@2026x", "otp_token": code}).status_code == 302
    return c


def login(browser, live_server, username: str, password: str = DEMO_PASSWORD, *, width: int = 1366):
    page = browser.new_context(viewport={"width": width, "height": 900}).new_page()
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    return page
