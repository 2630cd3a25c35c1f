"""The API alone, so these tests exercise /api/v1/cases without depending on the pages."""

from django.urls import path

from gridgov.api import api

urlpatterns = [path("api/v1/", api.urls)]
