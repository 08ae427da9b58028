from __future__ import annotations

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "minqing.settings")
django.setup(set_prefix=False)

from django.urls import get_resolver  # noqa: E402

from minqing.ops.lean import ByPath  # noqa: E402 - after setup, like get_wsgi_application()

# The JSON interfaces and the probes run a shorter middleware chain than the pages (minqing/ops/lean.py).
application = ByPath()
# Import every view now, in the worker's boot, not in its first request (no database is touched).
get_resolver().url_patterns  # noqa: B018
