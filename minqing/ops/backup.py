"""Backups: the database (SQLite through its online backup API, PostgreSQL through pg_dump) and the
uploaded files, in one .tar.gz with a manifest of row counts so that a restore can be checked."""

from __future__ import annotations

import io
import json
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.db import connection, connections
from django.utils import timezone


class BackupError(RuntimeError):
    pass


def row_counts() -> dict[str, int]:
    return {m._meta.label: m._default_manager.count() for m in apps.get_models() if m._meta.managed}


def _pg_env() -> tuple[list[str], dict[str, str]]:
    s = connection.settings_dict
    args = ["--host", s.get("HOST") or "127.0.0.1", "--port", str(s.get("PORT") or 5432), "--username", s["USER"]]
    env = {"PGPASSWORD": s.get("PASSWORD") or ""}
    return args, env


def _run(tool: str, args: list[str], env: dict[str, str]) -> None:
    """Run a PostgreSQL client tool. Its arguments come from the settings, never from a request."""
    import os

    path = shutil.which(tool)
    if path is None:
        raise BackupError(f"找不到 {tool}：请安装 PostgreSQL 客户端（Debian：postgresql-client）。")
    done = subprocess.run([path, *args], env={**os.environ, **env}, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode:
        hint = "（有其他连接占用数据库：请先停止网站、后台任务和巡检）" if "lock timeout" in done.stderr else ""
        raise BackupError(f"{tool} 失败{hint}：{done.stderr.strip()[-500:]}")


def backup(target: Path) -> dict:
    """Write the backup to `target` (a .tar.gz) and return its manifest."""
    manifest = {"created_at": timezone.now().isoformat(), "engine": connection.vendor, "rows": row_counts()}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        if connection.vendor == "sqlite":
            db = work / "db.sqlite3"
            connection.ensure_connection()
            dest = sqlite3.connect(db)
            connection.connection.backup(dest)  # a consistent copy while the site keeps running
            dest.close()
        elif connection.vendor == "postgresql":
            args, env = _pg_env()
            db = work / "db.dump"
            _run("pg_dump", [*args, "--format=custom", "--no-owner", "--file", str(db), connection.settings_dict["NAME"]],
                 env)
        else:
            raise BackupError(f"不支持的数据库：{connection.vendor}")
        target.parent.mkdir(parents=True, exist_ok=True)
        with tarfile.open(target, "w:gz") as tar:
            tar.add(db, arcname=db.name)
            media = Path(settings.MEDIA_ROOT)
            if media.exists():
                tar.add(media, arcname="media")
            data = json.dumps(manifest, ensure_ascii=False, indent=1).encode()
            info = tarfile.TarInfo("manifest.json")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return manifest


def restore(source: Path) -> dict:
    """Replace the database and the uploaded files with the backup's. Returns its manifest."""
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        with tarfile.open(source, "r:gz") as tar:
            tar.extractall(work, filter="data")
        manifest = json.loads((work / "manifest.json").read_text())
        if manifest["engine"] != connection.vendor:
            raise BackupError(f"备份来自 {manifest['engine']}，当前数据库是 {connection.vendor}，不能直接恢复。")
        if connection.vendor == "sqlite":
            connection.ensure_connection()
            backup_db = sqlite3.connect(work / "db.sqlite3")
            backup_db.backup(connection.connection)
            backup_db.close()
        else:
            connections.close_all()
            args, env = _pg_env()
            # Never wait forever on a table another connection still holds: stop the site first.
            _run("pg_restore", [*args, "--clean", "--if-exists", "--no-owner", "--single-transaction",
                                "--dbname", connection.settings_dict["NAME"], str(work / "db.dump")],
                 {**env, "PGOPTIONS": "-c lock_timeout=30s"})
        media = Path(settings.MEDIA_ROOT)
        if media.exists():
            shutil.rmtree(media)
        if (work / "media").exists():
            shutil.copytree(work / "media", media)
        else:
            media.mkdir(parents=True, exist_ok=True)
    return manifest
