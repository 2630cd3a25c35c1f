from django.urls import path

from gridgov.fieldwork.safety import views

urlpatterns = [
    path("fieldwork/safety/plan/", views.plan, name="safety_plan"),
    path("fieldwork/hazards/", views.hazards, name="hazards"),
    path("fieldwork/hazards/<int:pk>/", views.hazard_detail, name="hazard_detail"),
    path("fieldwork/hazards/<int:pk>/<str:verb>/", views.hazard_action, name="hazard_action"),
    path("fieldwork/campaigns/", views.campaigns, name="campaigns"),
    path("fieldwork/campaigns/<int:pk>/", views.campaign_detail, name="campaign_detail"),
    path(
        "fieldwork/campaigns/<int:pk>/answers/<int:answer_pk>/correct/",
        views.campaign_correct,
        name="campaign_correct",
    ),
    path("fieldwork/campaigns/<int:pk>/<str:verb>/", views.campaign_action, name="campaign_action"),
    path("m/inspect/", views.phone_inspect, name="phone_inspect"),
    path("m/inspect/<int:org_pk>/", views.phone_inspection, name="phone_inspection"),
    path("m/campaigns/<int:pk>/<str:grid_code>/", views.phone_campaign, name="phone_campaign"),
]
