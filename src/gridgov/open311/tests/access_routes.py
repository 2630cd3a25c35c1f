"""Open311 views that answer without a log-in (core/tests/test_access.py). GeoReport v2 is
for outside apps: reads are public like the resident's tracking page, showing only what the
public sees (open311/queries.py); writes need an API key, checked by the view."""

PUBLIC_VIEWS = {
    "open311-discovery": "Open311 discovery document (no data)",
    "open311-services": "Open311 service list: the public catalogue",
    "open311-service": "Open311 service definition: an item's public questions",
    "open311-requests": "Open311 requests: public listing (GET); POST needs an API key",
    "open311-request": "Open311 request: one case as the public sees it",
    "open311-token": "Open311 token: the submitting app follows its own report",
    "open311-request-updates": "FixMyStreet's updates feed: public steps only",
    "open311-not-found": "error list for unknown Open311 paths",
}
PUBLIC_VIEWS["open311-media"] = (
    "the first photo of a case its reporter published through Open311 (its media_url)"
)
