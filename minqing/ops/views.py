"""Health and monitoring: liveness, readiness (can we reach the database?) and Prometheus metrics."""

from __future__ import annotations

import hmac

from django.conf import settings
from django.db import connection
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily

from minqing.lib.net import client_ip

LOOPBACK = {"127.0.0.1", "::1"}


def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness for load balancers (and the framework's ceiling in bench/api_bench.sh)."""
    return HttpResponse("ok", content_type="text/plain")


def readyz(request: HttpRequest) -> HttpResponse:
    """Readiness: 200 when the database answers, 503 when it does not."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:
        return HttpResponse("database unavailable", status=503, content_type="text/plain")
    return HttpResponse("ok", content_type="text/plain")


class PipelineCollector:
    """Figures read at scrape time, each through an indexed column."""

    def collect(self):
        from django_tasks_db.models import DBTaskResult

        from minqing.api.models import ImportJob
        from minqing.notifications.models import OutboundMessage
        from minqing.tickets.lifecycle import OPEN_STATUSES
        from minqing.tickets.models import Ticket
        from minqing.tickets.queries import overdue_rule

        g = GaugeMetricFamily("minqing_requests", "Requests by status", labels=["status"])
        for status, n in Ticket.objects.values_list("status").annotate(n=Count("pk")).values_list("status", "n"):
            g.add_metric([status], n)
        yield g
        now = timezone.now()
        yield GaugeMetricFamily("minqing_requests_overdue", "Open requests past a deadline",
                                value=Ticket.objects.filter(status__in=OPEN_STATUSES).filter(overdue_rule(now)).count())
        g = GaugeMetricFamily("minqing_outbox_messages", "Outgoing SMS, e-mail and webhook messages by status",
                              labels=["status"])
        for status, n in OutboundMessage.objects.values_list("status").annotate(n=Count("pk")).values_list("status", "n"):
            g.add_metric([status], n)
        yield g
        g = GaugeMetricFamily("minqing_tasks", "Background tasks by state", labels=["state"])
        tasks = DBTaskResult.objects
        for state, qs in [("ready", tasks.ready()), ("running", tasks.running()), ("failed", tasks.failed())]:
            g.add_metric([state], qs.count())
        yield g
        from minqing.tickets.consumers import lag

        pending = GaugeMetricFamily("minqing_consumer_pending", "Events a consumer has not handled yet",
                                    labels=["consumer"])
        behind = GaugeMetricFamily("minqing_consumer_lag_seconds", "Age of the oldest event a consumer has not handled",
                                   labels=["consumer"])
        failing = GaugeMetricFamily("minqing_consumer_failing", "Pending events that failed at least once (retrying)",
                                    labels=["consumer"])
        for x in lag(now=now):
            pending.add_metric([x.consumer], x.pending)
            behind.add_metric([x.consumer], x.oldest_seconds)
            failing.add_metric([x.consumer], x.failing)
        yield pending
        yield behind
        yield failing
        g = GaugeMetricFamily("minqing_import_jobs", "12345 import jobs by status", labels=["status"])
        for status, n in ImportJob.objects.values_list("status").annotate(n=Count("pk")).values_list("status", "n"):
            g.add_metric([status], n)
        yield g


PIPELINE = CollectorRegistry(auto_describe=False)
PIPELINE.register(PipelineCollector())


def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus metrics. With MINQING_METRICS_TOKEN set, scrapers send it as a Bearer token;
    without it, only the machine itself may read them."""
    token = settings.METRICS_TOKEN
    if token:
        sent = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(sent.encode(), token.encode()):
            return HttpResponse("需要监控令牌。", status=403, content_type="text/plain; charset=utf-8")
    elif client_ip(request) not in LOOPBACK:
        return HttpResponse("只允许本机读取；设置 MINQING_METRICS_TOKEN 后可远程抓取。", status=403,
                            content_type="text/plain; charset=utf-8")
    body = generate_latest(REGISTRY) + generate_latest(PIPELINE)
    return HttpResponse(body, content_type="text/plain; version=0.0.4; charset=utf-8")
