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
