from django.urls import path

from gridgov.fieldwork import views

urlpatterns = [
    path("m/patrol/", views.phone_patrol, name="phone_patrol"),
    path("fieldwork/monitoring/", views.monitoring, name="fieldwork_monitoring"),
    path("fieldwork/compliance/", views.compliance, name="fieldwork_compliance"),
]
