from django.urls import path

from gridgov.fieldwork import views

urlpatterns = [
    path("m/patrol/", views.phone_patrol, name="phone_patrol"),
]
