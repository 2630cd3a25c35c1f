from django.urls import path

from gridgov.registry import views

urlpatterns = [
    path("", views.registry_home, name="registry_home"),
    path("grid/<str:code>/", views.registry_home, name="registry_grid"),
    path("household/<str:number>/", views.household_detail, name="registry_household"),
    path("search/", views.search, name="registry_search"),
    path("checks/", views.checks, name="registry_checks"),
    path("organisations/", views.organisations, name="registry_organisations"),
]
