"""/open311/: GeoReport v2 under v2/, and an error list for any other path."""

from django.urls import URLPattern, re_path

from gridgov.open311 import views

F = r"\.(?P<fmt>xml|json)$"

urlpatterns: list[URLPattern] = [
    re_path(r"^v2/discovery" + F, views.discovery, name="open311-discovery"),
    re_path(r"^v2/services" + F, views.service_list, name="open311-services"),
    re_path(r"^v2/services/(?P<code>[^/]+)" + F, views.service_definition, name="open311-service"),
    re_path(r"^v2/requests" + F, views.requests, name="open311-requests"),
    re_path(r"^v2/requests/(?P<number>[^/]+)" + F, views.request_detail, name="open311-request"),
    re_path(r"^v2/tokens/(?P<token>[^/]+)" + F, views.token, name="open311-token"),
    re_path(
        r"^v2/servicerequestupdates" + F, views.request_updates, name="open311-request-updates"
    ),
    re_path(r"^v2/media/(?P<number>\d+)$", views.media, name="open311-media"),
    re_path(r"^(?P<rest>.*)$", views.not_found, name="open311-not-found"),
]
