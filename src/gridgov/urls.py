from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path

from gridgov.api import api
from gridgov.core.health import healthz

urlpatterns: list[URLPattern | URLResolver] = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("healthz", healthz, name="healthz"),
    path("open311/", include("gridgov.open311.urls")),
    path("oversight/", include("gridgov.oversight.urls")),
    path("", include("gridgov.fieldwork.urls")),
    path("", include("gridgov.fieldwork.safety.urls")),
    path("hotline/", include("gridgov.hotline.urls")),
    path("registry/", include("gridgov.registry.urls")),
    path("people/", include("gridgov.people.urls")),
    path("reports/", include("gridgov.reports.urls")),
    path("", include("gridgov.cases.urls")),
    path("", include("gridgov.web.urls")),
]
urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

handler400 = "gridgov.api.page_bad_request"
handler404 = "gridgov.api.page_not_found"
handler500 = "gridgov.api.page_server_error"
