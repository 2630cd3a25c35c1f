"""A small fixed-window rate limit for the endpoints anyone may call without an account
(resident reports, point-to-grid lookups): a flood from one address must not fill the
acceptance queues or the CPU of a town's server.

Counters live in Django's cache. The default cache is per process, so with N gunicorn workers a
client gets up to N times the limit; a deployment that wants exact limits configures a shared
cache (Redis) in CACHES and nothing here changes.
"""

from __future__ import annotations

import time

from django.core.cache import cache
from django.http import HttpRequest
from django.utils.translation import gettext as _

from gridgov.core.errors import ThrottledError


def client_address(request: HttpRequest) -> str:
    """The peer address. X-Forwarded-For is not trusted: anyone could set it to dodge the limit;
    a deployment behind a proxy sets REMOTE_ADDR there (e.g. gunicorn --forwarded-allow-ips)."""
    return str(request.META.get("REMOTE_ADDR") or "unknown")


def throttle(request: HttpRequest, *, scope: str, limit: int, per_seconds: int) -> None:
    """Count one request of this client in `scope`; raise ThrottledError past `limit` per window."""
    window = int(time.time() // per_seconds)
    key = f"throttle:{scope}:{client_address(request)}:{window}"
    if cache.add(key, 1, timeout=per_seconds + 1):
        return
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=per_seconds + 1)
        return
    if count > limit:
        retry_after = per_seconds - int(time.time()) % per_seconds
        raise ThrottledError(
            _("请求过于频繁,请 %(seconds)s 秒后再试") % {"seconds": retry_after},
            retry_after=retry_after,
        )
