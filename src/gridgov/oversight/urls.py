from django.urls import path

from gridgov.oversight import pages, views

app_name = "oversight"

urlpatterns = [
    path("warnings/", views.warnings_page, name="warnings"),
    path("warnings/<int:pk>/lift/", views.warning_lift, name="warning_lift"),
    path("bulletins/new/", views.bulletin_new, name="bulletin_new"),
    path("bulletins/<int:pk>/", views.bulletin_page, name="bulletin"),
    path("bulletins/<int:pk>.pdf", views.bulletin_pdf, name="bulletin_pdf"),
    path(
        "bulletins/<int:pk>/recipients/<int:recipient>/<slug:verb>/",
        views.bulletin_act,
        name="bulletin_act",
    ),
    path("rankings/", views.rankings, name="rankings"),
    path("units/<slug:unit>/<str:code>/", views.unit_trend, name="unit_trend"),
    path("pay.xlsx", views.pay_sheet, name="pay_sheet"),
    path("people/<int:pk>/", views.person_page, name="person"),
    path("results/<int:pk>/appeal/", views.appeal_new, name="appeal_new"),
    path("appeals/", views.appeals, name="appeals"),
    path("appeals/<int:pk>/<slug:verb>/", views.appeal_act, name="appeal_act"),
    path("runs/<int:pk>/republish/", views.run_republish, name="run_republish"),
    path("survey/<str:code>/", pages.survey_board, name="survey"),
    path("survey/case/<str:code>/", pages.survey_case, name="survey_case"),
    path("surveys/", pages.survey_results, name="survey_results"),
    path("coordination/", pages.coordination, name="coordination"),
    path("groups/new/", pages.group_new, name="group_new"),
    path("groups/<int:pk>/", pages.group_page, name="group"),
    path("joint-actions/new/", pages.joint_action_new, name="joint_action_new"),
    path("joint-actions/<int:pk>/", pages.joint_action_page, name="joint_action"),
    path("meetings/new/", pages.meeting_new, name="meeting_new"),
    path("meetings/<int:pk>/", pages.meeting_page, name="meeting"),
    path("trainings/new/", pages.training_new, name="training_new"),
    path("notices/new/", pages.notice_new, name="notice_new"),
    path("notices/<int:pk>/", pages.notice_page, name="notice"),
    path("scores/", pages.manual_scores, name="manual_scores"),
    path("two-way/", pages.two_way, name="two_way"),
]
