from django.urls import path

from gridgov.hotline import views

app_name = "hotline"

urlpatterns = [
    path("import/", views.import_page, name="import"),
    path("discovery/", views.discovery_page, name="discovery"),
    path("rounds/<int:number>/", views.round_page, name="round"),
    path("tiers/", views.tiers_page, name="tiers"),
    path("kpis/", views.kpis_page, name="kpis"),
    path("suggest/", views.item_suggestion, name="suggest"),
]

# Back-tracing tasks (h13b): the task's page and its answer, also posted from the inbox.
from gridgov.hotline import task_views  # noqa: E402

urlpatterns += [
    path("tasks/<int:pk>/", task_views.task_page, name="task"),
    path("tasks/<int:pk>/act/", task_views.task_act, name="task_act"),
]

# Unclassified records and the case page's suggestion (r13).
from gridgov.hotline import unclassified_views  # noqa: E402

urlpatterns += [
    path("unclassified/", unclassified_views.unclassified_page, name="unclassified"),
    path("suggest/case/<int:pk>/", unclassified_views.case_suggestion, name="case_suggest"),
]
