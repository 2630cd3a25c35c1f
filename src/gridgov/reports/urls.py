from django.urls import URLPattern, URLResolver

app_name = "reports"

urlpatterns: list[URLPattern | URLResolver] = []

# Statistics and ledgers (issue 13), in their own module so the other reports pages append alike.
from gridgov.reports.stats_urls import urlpatterns as statistics_urlpatterns  # noqa: E402

urlpatterns += statistics_urlpatterns
