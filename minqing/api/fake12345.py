"""A fake 12345 platform to test the connector against (and to demo it: `manage.py fake12345`).

It speaks the "db36" profile of platform12345.py: a feed of items at GET /gd/pull (new orders, decisions on
applications, callback results, changed deadlines) and the message endpoints our side POSTs to. It behaves
as we assume a real platform does: a message is taken once by its id (`xxid`; a repeat is answered 成功 and
not taken again); on a 退单申请 or 延期申请 it decides by its policy and puts the decision in the feed; on a
办结 it calls the resident back and puts the result in the feed.

It records every HTTP request it receives (`requests`) and every message it took (`taken`), so tests can say
"exactly one per step". Failures are injected per path: `fail(path, mode, times)` with mode
  "500"      answer 500 without taking the message,
  "500_after" take the message, then answer 500 (the sender cannot know it went through),
  "drop"     take the message, then close the connection without an answer,
  "timeout"  wait longer than the sender's timeout (`slow_seconds`), then take it and answer.
`duplicate` serves an item twice; `hold()`/`release(reverse=True)` keep the callbacks it would publish and
publish them together in the reverse order.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

FMT = "%Y-%m-%d %H:%M:%S"
TZ = dt.timezone(dt.timedelta(hours=8))
KINDS = {"/gd/qs": "sign", "/gd/jdfk": "feedback", "/gd/tdsq": "return_apply", "/gd/yqsq": "extension_apply",
         "/gd/bj": "resolve"}


@dataclass
class Failure:
    path: str
    mode: str
    times: int = 1


@dataclass
class FakePlatform:
    # What it decides: "approve" or "refuse" for each kind of application; the 满意度 it reports after 办结.
    policy: dict[str, str] = field(default_factory=lambda: {"return_apply": "refuse", "extension_apply": "approve"})
    satisfaction: str = "1"
    slow_seconds: float = 1.0
    feed: list[dict] = field(default_factory=list)
    requests: list[tuple[str, str, dict]] = field(default_factory=list)  # (method, path, body): every one
    taken: dict[str, dict] = field(default_factory=dict)  # xxid → the message, as first taken
    failures: list[Failure] = field(default_factory=list)
    held: list[dict] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadingHTTPServer | None = None
    ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    # --- the platform's side of the story -------------------------------------------------------
    def now(self) -> str:
        return dt.datetime.now(TZ).strftime(FMT)

    def add_order(self, *, number: str, text: str, category: str, address: str = "", received_at: str = "",
                  due: str = "", type: str = "求助", name: str = "李先生", phone: str = "13900001111",  # noqa: A002
                  duplicate: bool = False, **extra: Any) -> dict:
        item = {"xxid": f"gd-{number}", "xxlx": "gd", "czsj": self.now(), "gdbh": number, "sqnr": text,
                "sqfl": category, "fsdz": address, "ldsj": received_at or self.now(), "blsx": due, "sqlx": type,
                "ldrxm": name, "lxdh": phone, **extra}
        with self.lock:
            self.feed.append(item)
            if duplicate:
                self.feed.append(dict(item))
        return item

    def publish(self, item: dict) -> None:
        item = {"xxid": f"cb-{next(self.ids)}", "czsj": self.now(), **item}
        with self.lock:
            if self.held is not None:
                self.held.append(item)
            else:
                self.feed.append(item)

    def hold(self) -> None:
        with self.lock:
            self.held = []

    def release(self, *, reverse: bool = True) -> None:
        with self.lock:
            items, self.held = self.held or [], None
            self.feed.extend(reversed(items) if reverse else items)

    def replay(self) -> None:
        """Serve the whole feed again, from the start (a platform that lost its place)."""
        with self.lock:
            self.feed.extend([dict(i) for i in self.feed])

    def fail(self, path: str, mode: str, times: int = 1) -> None:
        with self.lock:
            self.failures.append(Failure(path, mode, times))

    def messages(self, kind: str | None = None, number: str | None = None) -> list[dict]:
        with self.lock:
            return [m for m in self.taken.values()
                    if (kind is None or m["kind"] == kind) and (number is None or m.get("gdbh") == number)]

    def hits(self, path: str) -> int:
        with self.lock:
            return sum(1 for _, p, _ in self.requests if p == path)

    def _take(self, path: str, body: dict) -> bool:
        """Take a message once by its id; what the platform does in reply. False: a repeat."""
        key = str(body.get("xxid", ""))
        with self.lock:
            if key in self.taken:
                return False
            self.taken[key] = {**body, "kind": KINDS[path]}
        kind = KINDS[path]
        number = body.get("gdbh", "")
        if kind in ("return_apply", "extension_apply"):
            approve = self.policy.get(kind) == "approve"
            item = {"xxlx": "sp", "gdbh": number, "sqbh": body.get("sqbh", ""), "spjg": "1" if approve else "0",
                    "spyj": "同意" if approve else "经核实属于贵单位职责，请继续办理"}
            if kind == "extension_apply" and approve:
                item["yqsx"] = body.get("yqsx", "")
                self.publish({"xxlx": "sx", "gdbh": number, "blsx": body.get("yqsx", "")})
            self.publish(item)
        elif kind == "resolve":
            self.publish({"xxlx": "hf", "gdbh": number, "myd": self.satisfaction, "sfjj": "1", "sflx": "1",
                          "hfnr": "群众表示问题已解决"})
        return True

    def _failure(self, path: str) -> str:
        with self.lock:
            for f in self.failures:
                if f.path == path and f.times > 0:
                    f.times -= 1
                    return f.mode
        return ""

    # --- HTTP ------------------------------------------------------------------------------------
    def start(self, port: int = 0, host: str = "127.0.0.1") -> str:
        platform = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet in tests
                return

            def _answer(self, status: int, body: dict) -> None:
                data = json.dumps(body, ensure_ascii=False).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                url = urllib.parse.urlparse(self.path)
                query = dict(urllib.parse.parse_qsl(url.query))
                with platform.lock:
                    platform.requests.append(("GET", url.path, query))
                mode = platform._failure(url.path)
                if mode in ("500", "500_after"):
                    return self._answer(500, {"code": 500, "msg": "服务器内部错误"})
                if mode == "timeout":
                    time.sleep(platform.slow_seconds)
                if url.path != "/gd/pull":
                    return self._answer(404, {"code": 404, "msg": "没有这个接口"})
                start = int(query.get("cursor") or 0)
                limit = int(query.get("limit") or 100)
                with platform.lock:
                    items = platform.feed[start:start + limit]
                if mode == "drop":
                    self.close_connection = True
                    return
                return self._answer(200, {"code": 0, "msg": "成功", "data": {"cursor": str(start + len(items)),
                                                                          "items": items}})

            def do_POST(self) -> None:
                path = urllib.parse.urlparse(self.path).path
                length = int(self.headers.get("Content-Length") or 0)
                try:
                    body = json.loads(self.rfile.read(length).decode() or "{}")
                except ValueError:
                    return self._answer(400, {"code": 400, "msg": "不是 JSON"})
                with platform.lock:
                    platform.requests.append(("POST", path, body))
                if path not in KINDS:
                    return self._answer(404, {"code": 404, "msg": "没有这个接口"})
                mode = platform._failure(path)
                if mode == "500":
                    return self._answer(500, {"code": 500, "msg": "服务器内部错误"})
                if mode == "timeout":
                    time.sleep(platform.slow_seconds)
                if not body.get("xxid") or not body.get("gdbh"):
                    return self._answer(200, {"code": 1, "msg": "缺少 xxid 或 gdbh"})
                fresh = platform._take(path, body)
                if mode == "500_after":
                    return self._answer(500, {"code": 500, "msg": "服务器内部错误"})
                if mode == "drop":
                    self.close_connection = True
                    return
                return self._answer(200, {"code": 0, "msg": "成功" if fresh else "重复消息，已忽略"})

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return f"http://{host}:{self.server.server_address[1]}"

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None
