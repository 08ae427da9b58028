"""Pluggable SMS transports. Settings: MINQING_SMS = {"BACKEND": dotted path, ...}."""

from __future__ import annotations

import http.client
import json
import logging
import socket
import urllib.request
from typing import Any

from django.conf import settings
from django.utils.module_loading import import_string

from minqing.lib import net
from minqing.lib.masking import mask_phone

logger = logging.getLogger("minqing.sms")


class DeliveryError(Exception):
    pass


class ConsoleSMSBackend:
    """Writes the message to the log: the default, for development and demos."""

    name = "console"

    def __init__(self, **options: Any) -> None:
        self.options = options

    def send(self, *, to: str, template: str, params: dict, body: str, reference: str = "") -> str:
        logger.info("SMS %s to %s [%s]: %s", reference, mask_phone(to), template, body)  # logs keep no full number
        return "logged"


class HttpSMSBackend:
    """POSTs JSON to an SMS gateway: {"to", "template_id", "params", "text"} with the key in a header.

    Options: URL, KEY, TEMPLATE_IDS (our template name → the gateway's id), TIMEOUT (seconds).
    A non-2xx answer or a network error raises DeliveryError; the worker retries.
    """

    name = "http"

    def __init__(self, *, URL: str, KEY: str = "", TEMPLATE_IDS: dict | None = None, TIMEOUT: float = 10,  # noqa: N803
                 **_: Any) -> None:
        if not URL.startswith(("http://", "https://")):
            raise ValueError("MINQING_SMS URL must be http(s)")
        self.url, self.key, self.template_ids, self.timeout = URL, KEY, TEMPLATE_IDS or {}, TIMEOUT

    def send(self, *, to: str, template: str, params: dict, body: str, reference: str = "") -> str:
        # client_msg_id lets a gateway drop a repeat: a worker killed after sending but before recording
        # it leaves the message to be sent again (at least once), with the same id.
        payload = json.dumps({"to": to, "template_id": self.template_ids.get(template, template), "params": params,
                              "text": body, "client_msg_id": reference}, ensure_ascii=False).encode()
        request = urllib.request.Request(  # noqa: S310 - scheme checked in __init__
            self.url, data=payload, method="POST",
            headers={"Content-Type": "application/json; charset=utf-8", "Authorization": f"Bearer {self.key}"},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                return response.read(500).decode(errors="replace")
        except Exception as exc:
            raise DeliveryError(f"{type(exc).__name__}: {exc}") from exc


def sms_backend() -> ConsoleSMSBackend | HttpSMSBackend:
    config = dict(settings.MINQING_SMS)
    cls = import_string(config.pop("BACKEND"))
    return cls(**config)


def post_signed(*, url: str, body: str, secret: str, timeout: float = 10) -> str:
    """POST a JSON body with `X-Minqing-Signature: sha256=<HMAC of the body with the shared secret>`."""
    import hashlib
    import hmac

    if not url.startswith(("http://", "https://")):
        raise DeliveryError("webhook URL must be http(s)")
    data = body.encode()
    signature = hmac.new(secret.encode(), data, hashlib.sha256).hexdigest()
    request = urllib.request.Request(  # noqa: S310 - scheme checked above
        url, data=data, method="POST",
        headers={"Content-Type": "application/json; charset=utf-8", "X-Minqing-Signature": f"sha256={signature}"},
    )
    try:
        with _GUARDED.open(request, timeout=timeout) as response:
            return f"{response.status} {response.read(300).decode(errors='replace')}"
    except Exception as exc:
        raise DeliveryError(f"{type(exc).__name__}: {exc}") from exc


# Webhook addresses are typed by administrators: the connection is checked after it is made (so a host name
# that resolves to an internal address, or starts to, is refused), redirects go through the same check, and
# no proxy from the environment is used.
class _GuardedHTTP(http.client.HTTPConnection):
    def connect(self) -> None:
        super().connect()
        _refuse_private(self.sock)


class _GuardedHTTPS(http.client.HTTPSConnection):
    def connect(self) -> None:
        super().connect()
        _refuse_private(self.sock)


def _refuse_private(sock: socket.socket) -> None:
    try:
        net.check_public(sock.getpeername()[0])
    except net.PrivateTarget:
        sock.close()
        raise


class _HTTPHandler(urllib.request.HTTPHandler):
    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_GuardedHTTP, req)


class _HTTPSHandler(urllib.request.HTTPSHandler):
    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_GuardedHTTPS, req, context=self._context)  # type: ignore[attr-defined]


_GUARDED = urllib.request.build_opener(urllib.request.ProxyHandler({}), _HTTPHandler, _HTTPSHandler)
