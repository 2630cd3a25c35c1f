"""core's entries in the deny-by-default route walk (core/tests/test_access.py)."""

PUBLIC_VIEWS = {
    "healthz": "load balancers' health probe: reachable or not, no data",
}
