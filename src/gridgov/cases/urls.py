"""The case pages. Their URL names are global (no namespace): the shell's navigation, the
templates and the notifications reverse them as `queue`, `case_detail`, `phone_report`…"""

from django.urls import path

from gridgov.cases.views import pages, phone, resident, slips

urlpatterns = [
    # Work queues and case pages
    path("queues/<slug:name>/", pages.queue, name="queue"),
    path("cases/<int:pk>/", pages.case_detail, name="case_detail"),
    path("cases/<int:pk>/act/<slug:action>/", pages.case_action, name="case_action"),
    path("cases/<int:pk>/photos/<int:attachment>/", pages.case_photo, name="case_photo"),
    # Printable slips of a case (申报单、交办单、催办单、反馈单)
    path("cases/<int:pk>/slips/<slug:kind>/<int:ref>/", slips.slip, name="case_slip"),
    path("cases/<int:pk>/slips/<slug:kind>/<int:ref>.pdf", slips.slip_pdf, name="case_slip_pdf"),
    # Grid worker's case pages on the phone
    path("m/report/", phone.phone_report, name="phone_report"),
    path("m/tasks/", phone.phone_tasks, name="phone_tasks"),
    path("m/verify/", phone.phone_verify, name="phone_verify"),
    path("m/map/", phone.phone_map, name="phone_map"),
    # Residents (no account)
    path("report/", resident.resident_report, name="resident_report"),
    path("track/", resident.track, name="track"),
    path("track/<str:code>/", resident.track_detail, name="track_detail"),
    path("track/<str:code>/photos/<int:index>/", resident.track_photo, name="track_photo"),
]
