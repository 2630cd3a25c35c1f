from django.urls import path

from gridgov.people import views

urlpatterns = [
    path("", views.staff_list, name="people_list"),
    path("new/", views.staff_create, name="people_create"),
    path("staff/<int:pk>/", views.staff_detail, name="people_staff"),
    path("staff/<int:pk>/appoint/", views.appoint, name="people_appoint"),
    path("staff/<int:pk>/login/", views.create_login, name="people_create_login"),
    path("staff/<int:pk>/reset-password/", views.reset_password, name="people_reset_password"),
    path("posts/<int:pk>/move/", views.move_post, name="people_move_post"),
    path("posts/<int:pk>/end/", views.end_post, name="people_end_post"),
    path("password/", views.password_change, name="password_change"),
]
