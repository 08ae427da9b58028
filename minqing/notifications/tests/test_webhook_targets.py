"""Webhooks never reach this machine or internal networks unless an administrator allows them."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from minqing.api.models import Webhook
from minqing.notifications.backends import DeliveryError, post_signed


@pytest.mark.parametrize("url", ["http://127.0.0.1:8000/hook", "http://localhost/x", "http://10.1.2.3/x",
                                 "http://192.168.1.1/x", "http://169.254.169.254/latest/meta-data/",
                                 "http://[::1]/x", "http://[::ffff:127.0.0.1]/x", "http://0.0.0.0/x", "ftp://example.com/x"])
def test_an_internal_address_is_refused_when_saved(db, url) -> None:
    with pytest.raises(ValidationError) as refused:
        Webhook(name="x", url=url, secret="s").full_clean()
    assert "url" in refused.value.message_dict


def test_a_public_address_is_accepted(db) -> None:
    Webhook(name="x", url="https://8.8.8.8/hook", secret="s").full_clean()


class Receiver(BaseHTTPRequestHandler):
    hits = 0

    def do_POST(self) -> None:
        Receiver.hits += 1
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


def test_sending_checks_the_address_actually_connected_to(settings) -> None:
    """A name saved while it pointed outside but resolving to this machine now is still refused."""
    server = HTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        Receiver.hits = 0
        with pytest.raises(DeliveryError, match="内部网络"):
            post_signed(url=f"http://localhost:{server.server_port}/hook", body="{}", secret="s")
        assert Receiver.hits == 0
        settings.WEBHOOK_PRIVATE_ALLOWED = ["127.0.0.0/8"]
        assert post_signed(url=f"http://localhost:{server.server_port}/hook", body="{}", secret="s").startswith("200")
        assert Receiver.hits == 1
    finally:
        server.shutdown()
