from django.urls import URLPattern, URLResolver

app_name = "reports"

urlpatterns: list[URLPattern | URLResolver] = []

# Work summaries (h13b): choose, preview, edit the text sections, download Word or PDF.
from django.urls import path  # noqa: E402

from gridgov.reports import summary_views  # noqa: E402

urlpatterns += [
    path("summary/", summary_views.summary_page, name="summary"),
    path("summary/chart.png", summary_views.summary_chart, name="summary_chart"),
    path("summary/download/", summary_views.summary_download, name="summary_download"),
    path("summary/text/", summary_views.summary_text, name="summary_text"),
    path("summary/templates/", summary_views.summary_templates, name="summary_templates"),
    path(
        "summary/templates/shipped.docx",
        summary_views.summary_template_file,
        name="summary_template_shipped",
    ),
    path(
        "summary/templates/<int:pk>.docx",
        summary_views.summary_template_file,
        name="summary_template_file",
    ),
]
# Statistics and ledgers (issue 13), in their own module so the other reports pages append alike.
from gridgov.reports.stats_urls import urlpatterns as statistics_urlpatterns  # noqa: E402

urlpatterns += statistics_urlpatterns
