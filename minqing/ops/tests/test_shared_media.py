"""Two app servers sharing one PostgreSQL and one media directory (the shared storage of a multi-server
setup): a photo uploaded through one server is served by the other, to a session started on the first."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys

import requests
from django.db import connection
from PIL import Image

from minqing.conftest import POSTGRES_ONLY, build_cast
from minqing.ops.tests.servers import ROOT, free_port, wait_ready
from minqing.tickets import actions
from minqing.tickets.models import TicketAttachment

pytestmark = POSTGRES_ONLY


def test_a_photo_uploaded_on_one_server_is_served_by_the_other(tmp_path, settings) -> None:
    cast = build_cast()
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]  # what the servers use
    cast.shequ.set_password("Minqing@2026")
    cast.shequ.save()
    t = actions.ticket_accept(ticket=cast.new_ticket(), actor=cast.shequ)
    t = actions.ticket_dispatch(ticket=t, actor=cast.shequ, unit=cast.unit("瓜州路社区居委会"))
    t = actions.ticket_sign(ticket=t, actor=cast.shequ)
    db = connection.settings_dict
    shared = tmp_path / "shared-media"
    env = {**os.environ,
           "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
           "MINQING_ALLOWED_HOSTS": "127.0.0.1", "MINQING_MEDIA_ROOT": str(shared)}
    ports = [free_port(), free_port()]
    servers = [subprocess.Popen([sys.executable, "-m", "gunicorn", "minqing.wsgi", "--bind", f"127.0.0.1:{p}",  # noqa: S603
                                 "--workers", "1", "--log-level", "warning"], cwd=ROOT, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for p in ports]
    a, b = (f"http://127.0.0.1:{p}" for p in ports)
    try:
        for base in (a, b):
            wait_ready(base)
        s = requests.Session()
        page = s.get(f"{a}/login/", timeout=30)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        r = s.post(f"{a}/login/", data={"csrfmiddlewaretoken": token, "username": "shequ", "password": "Minqing@2026"},
                   headers={"Referer": f"{a}/login/"}, timeout=30)
        assert r.status_code == 200 and "工作台" in r.text
        form = s.get(f"{a}/tickets/{t.number}/progress/", timeout=30)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)
        photo = io.BytesIO()
        Image.new("RGB", (40, 30), (10, 120, 200)).save(photo, format="PNG")
        r = s.post(f"{a}/tickets/{t.number}/progress/", data={"csrfmiddlewaretoken": token, "note": "已到现场查看。"},
                   files={"photos": ("现场.png", photo.getvalue(), "image/png")},
                   headers={"Referer": f"{a}/tickets/{t.number}/progress/"}, timeout=30)
        assert r.status_code == 200, r.status_code
        attachment = TicketAttachment.objects.get(ticket=t)
        assert (shared / attachment.file.name).exists()
        # The other server: same session (sessions live in the database), same file (shared media).
        served = s.get(f"{b}/attachments/{attachment.pk}/", timeout=30)
        assert served.status_code == 200 and served.headers["Content-Type"] == attachment.content_type
        assert served.content == (shared / attachment.file.name).read_bytes()
        assert Image.open(io.BytesIO(served.content)).size == (40, 30)
    finally:
        for p in servers:
            p.terminate()
        for p in servers:
            p.wait(20)
