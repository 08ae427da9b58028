"""With DATABASE_REPLICA_URL set, statistics and exports read from the replica and nothing else does."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
SCRIPT = """
import datetime as dt
from django.db import connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from minqing.api.exchange import export_replies
from minqing.partnership.queries import figures
from minqing.lib.db import PrimaryOnly, reporting
assert reporting() == "replica"
assert PrimaryOnly().allow_migrate("replica", "tickets") is False and PrimaryOnly().db_for_write(object) == "default"
with CaptureQueriesContext(connections["replica"]) as replica, CaptureQueriesContext(connections["default"]) as primary:
    figures(areas=None, start=dt.date(2026, 1, 1), end=dt.date(2026, 12, 31))
    export_replies(timezone.now() - dt.timedelta(days=7), timezone.now())
print("replica", len(replica.captured_queries), "primary", len(primary.captured_queries))
"""


def test_reporting_reads_go_to_the_replica(tmp_path) -> None:
    db = f"sqlite:///{tmp_path}/db.sqlite3"  # its own throwaway database, whatever the suite runs on
    env = {**os.environ, "DATABASE_URL": db, "DATABASE_REPLICA_URL": db, "MINQING_VAR_DIR": str(tmp_path)}
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True, capture_output=True)
    done = subprocess.run([sys.executable, "manage.py", "shell", "-v0", "-c", SCRIPT], cwd=ROOT, env=env,  # noqa: S603 - our own script
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    line = [x for x in done.stdout.splitlines() if x.startswith("replica")][0].split()
    assert int(line[1]) >= 5 and int(line[3]) == 0, done.stdout
