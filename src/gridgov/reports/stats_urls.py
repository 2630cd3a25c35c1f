"""URLs of the statistics and ledger pages (included by `reports/urls.py`)."""

from django.urls import URLPattern, path

from gridgov.reports import views

urlpatterns: list[URLPattern] = [
    path("statistics/", views.statistics, name="statistics"),
    path("statistics.xlsx", views.statistics_xlsx, name="statistics_xlsx"),
    path("ledgers/", views.ledgers, name="ledgers"),
    path("ledgers/cases/", views.case_ledger, name="case_ledger"),
    path("ledgers/cases.xlsx", views.case_ledger_xlsx, name="case_ledger_xlsx"),
    path("ledgers/<str:kind>.xlsx", views.ledger_xlsx, name="ledger_xlsx"),
    path("ledgers/<str:kind>/print/", views.ledger_print, name="ledger_print"),
]
