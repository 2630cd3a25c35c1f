"""A small fixed-window rate limit for the endpoints anyone may call without an account
(resident reports, point-to-grid lookups): a flood from one address must not fill the
acceptance queues or the CPU of a town's server.

Counters live in Django's default cache, which is shared by every gunicorn worker and app server
(the database cache, or Redis when GRIDGOV_REDIS_URL is set). Counting uses only `cache.add`,
which is atomic in both (a primary key in the database, SET NX in Redis), whereas the database
cache's `incr` is a read then a write that loses counts under concurrency: the n-th request of
a window claims slot n, and a window whose last slot is taken refuses.
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


def _claim_slot(key: str, *, limit: int, timeout: int) -> bool:
    """Claim the next free slot 1..limit of this window; False when all are taken.

    `key` holds a hint (the highest slot seen claimed) so a busy window costs a few queries, not
    `limit`; the hint may lag under races, which only costs extra probes, never a miscount."""
    hint = cache.get(key) or 0
    for slot in range(int(hint) + 1, limit + 1):
        if cache.add(f"{key}:{slot}", 1, timeout=timeout):
            cache.set(key, slot, timeout=timeout)
            return True
    return False


def throttle(request: HttpRequest, *, scope: str, limit: int, per_seconds: int) -> None:
    """Count one request of this client in `scope`; raise ThrottledError past `limit` per window."""
    window = int(time.time() // per_seconds)
    key = f"throttle:{scope}:{client_address(request)}:{window}"
    if _claim_slot(key, limit=limit, timeout=per_seconds + 1):
        return
    retry_after = per_seconds - int(time.time()) % per_seconds
    raise ThrottledError(
        _("请求过于频繁,请 %(seconds)s 秒后再试") % {"seconds": retry_after},
        retry_after=retry_after,
    )
