"""Pages of the web app that answer without a log-in (core/tests/test_access.py)."""

PUBLIC_VIEWS = {
    "inbox_unread": (
        "the polled inbox badge: an anonymous caller (a page left open after logging out) gets "
        "an empty badge with htmx's stop-polling status, never anyone's count"
    ),
}
