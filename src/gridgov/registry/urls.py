from django.urls import path

from gridgov.registry import ledger_views, map_views, phone_views, views

urlpatterns = [
    path("", views.registry_home, name="registry_home"),
    path("grid/<str:code>/", views.registry_home, name="registry_grid"),
    path("household/<str:number>/", views.household_detail, name="registry_household"),
    path("search/", views.search, name="registry_search"),
    path("checks/", views.checks, name="registry_checks"),
    path("organisations/", views.organisations, name="registry_organisations"),
    path("map/", map_views.registry_map, name="registry_map"),
    path("map/features.json", map_views.registry_map_features, name="registry_map_features"),
    # The grid worker's phone pages (联系户, look-up, correct, add on site)
    path("m/", phone_views.contacts, name="registry_phone"),
    path("m/search/", phone_views.search, name="registry_phone_search"),
    path("m/add/", phone_views.add, name="registry_phone_add"),
    path("m/household/<str:number>/", phone_views.household, name="registry_phone_household"),
    path(
        "m/household/<str:number>/edit/",
        phone_views.household_edit,
        name="registry_phone_household_edit",
    ),
    path("m/person/<int:pk>/edit/", phone_views.person_edit, name="registry_phone_person_edit"),
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
