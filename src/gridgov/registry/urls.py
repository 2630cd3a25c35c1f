from django.urls import path

from gridgov.registry import ledger_views, views

urlpatterns = [
    path("", views.registry_home, name="registry_home"),
    path("grid/<str:code>/", views.registry_home, name="registry_grid"),
    path("household/<str:number>/", views.household_detail, name="registry_household"),
    path("search/", views.search, name="registry_search"),
    path("checks/", views.checks, name="registry_checks"),
    path("organisations/", views.organisations, name="registry_organisations"),
    path("ledgers/", ledger_views.ledgers, name="registry_ledgers"),
    path("ledgers/export/", ledger_views.ledger_export, name="registry_ledger_export"),
    path(
        "ledgers/template/<str:kind>/",
        ledger_views.ledger_template,
        name="registry_ledger_template",
    ),
    path("ledgers/upload/<int:pk>/", ledger_views.ledger_upload, name="registry_ledger_upload"),
    path(
        "ledgers/upload/<int:pk>/progress/",
        ledger_views.ledger_upload_progress,
        name="registry_ledger_upload_progress",
    ),
]
