"""Schemathesis against our own OpenAPI document: generated requests never cause a server error."""

from __future__ import annotations

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from minqing.api.models import ApiToken

schema = schemathesis.openapi.from_wsgi("/api/openapi.json", get_wsgi_application())


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    # Requests through the WSGI app end by closing "old" connections, which would close the test's
    # own transaction on PostgreSQL; Django's test client disconnects this signal the same way.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def full_token(cast) -> str:
    _, plain = ApiToken.issue(name="fuzz", user=cast.duban, permissions=["intake", "read", "act"])
    cast.new_ticket()
    return plain


@schema.parametrize()
@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_generated_request_causes_a_server_error(case, full_token) -> None:
    case.call_and_validate(headers={"Authorization": f"Bearer {full_token}"}, checks=[not_a_server_error])
