from django.urls import path

from gridgov.fieldwork import attendance_views, diary_views, views, visit_views

urlpatterns = [
    path("m/patrol/", views.phone_patrol, name="phone_patrol"),
    path("fieldwork/monitoring/", views.monitoring, name="fieldwork_monitoring"),
    path("fieldwork/compliance/", views.compliance, name="fieldwork_compliance"),
]

# Visits, diary, surveys and check-in (fieldwork/visit_views.py).
urlpatterns += [
    path("m/visits/", visit_views.phone_visits, name="phone_visits"),
    path("m/visits/new/", visit_views.phone_visit_new, name="phone_visit_new"),
    path("m/visits/<int:pk>/", visit_views.phone_visit, name="phone_visit"),
    path("m/visits/<int:pk>/case/", visit_views.phone_visit_case, name="phone_visit_case"),
    path("m/visits/<int:pk>/hazard/", visit_views.phone_visit_hazard, name="phone_visit_hazard"),
    path("m/diary/", visit_views.phone_diary, name="phone_diary"),
    path("m/check-in/", visit_views.phone_check_in, name="phone_check_in"),
    path("m/surveys/", visit_views.phone_surveys, name="phone_surveys"),
    path("m/surveys/<int:pk>/", visit_views.phone_survey_fill, name="phone_survey_fill"),
    path("fieldwork/visits/", visit_views.office_visits, name="fieldwork_visits"),
    path(
        "fieldwork/visits/ledger/", visit_views.office_visit_ledger, name="fieldwork_visit_ledger"
    ),
    path("fieldwork/visits/occasion/", visit_views.raise_occasion, name="fieldwork_occasion"),
    path("fieldwork/surveys/", visit_views.office_surveys, name="fieldwork_surveys"),
    path("fieldwork/surveys/<int:pk>/", visit_views.office_survey, name="fieldwork_survey"),
]

# The office's diary page (fieldwork/diary_views.py).
urlpatterns += [
    path("fieldwork/diaries/", diary_views.office_diaries, name="fieldwork_diaries"),
]

# Attendance ledger, leave and duty roster: the office's pages (fieldwork/attendance_views.py).
urlpatterns += [
    path("fieldwork/attendance/", attendance_views.attendance_ledger, name="fieldwork_attendance"),
    path(
        "fieldwork/attendance/<str:username>/",
        attendance_views.attendance_person,
        name="fieldwork_attendance_person",
    ),
    path("fieldwork/leave/", attendance_views.leave_page, name="fieldwork_leave"),
    path(
        "fieldwork/leave/<int:pk>/cancel/",
        attendance_views.leave_cancel,
        name="fieldwork_leave_cancel",
    ),
    path("fieldwork/duty/", attendance_views.duty_page, name="fieldwork_duty"),
    path(
        "fieldwork/duty/<int:pk>/remove/",
        attendance_views.duty_remove,
        name="fieldwork_duty_remove",
    ),
]
