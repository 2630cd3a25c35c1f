from django.contrib.auth import views as auth_views
from django.urls import path

from gridgov.web.views import boards, cases, command, home, inbox, phone, resident, slips

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", home.home, name="home"),
    # Command centre (grid office, leaders)
    path("command/", command.command_centre, name="command_centre"),
    path("command/grids.json", command.command_grids, name="command_grids"),
    path("command/figures.json", command.command_figures, name="command_figures"),
    path("command/tiles/", command.command_tiles, name="command_tiles"),
    path("command/grid/<str:code>/", command.grid_card, name="grid_card"),
    # Work queues and case pages
    path("queues/<slug:name>/", cases.queue, name="queue"),
    path("cases/<int:pk>/", cases.case_detail, name="case_detail"),
    path("cases/<int:pk>/act/<slug:action>/", cases.case_action, name="case_action"),
    path("cases/<int:pk>/photos/<int:attachment>/", cases.case_photo, name="case_photo"),
    # The in-app inbox of every user
    path("inbox/", inbox.inbox, name="inbox"),
    path("inbox/unread/", inbox.unread_badge, name="inbox_unread"),
    path("inbox/read-all/", inbox.read_all, name="inbox_read_all"),
    path("inbox/<int:pk>/", inbox.open_notification, name="inbox_open"),
    # Printable slips of a case (申报单、交办单、催办单、反馈单)
    path("cases/<int:pk>/slips/<slug:kind>/<int:ref>/", slips.slip, name="case_slip"),
    path("cases/<int:pk>/slips/<slug:kind>/<int:ref>.pdf", slips.slip_pdf, name="case_slip_pdf"),
    # Grid worker's phone pages
    path("m/", phone.phone_home, name="phone_home"),
    path("m/report/", phone.phone_report, name="phone_report"),
    path("m/tasks/", phone.phone_tasks, name="phone_tasks"),
    path("m/verify/", phone.phone_verify, name="phone_verify"),
    path("m/map/", phone.phone_map, name="phone_map"),
    path("m/sw.js", phone.phone_sw, name="phone_sw"),
    # Residents (no account)
    path("report/", resident.resident_report, name="resident_report"),
    path("report/grids.json", resident.resident_grids, name="resident_grids"),
    path("track/", resident.track, name="track"),
    path("track/<str:code>/", resident.track_detail, name="track_detail"),
    path("track/<str:code>/photos/<int:index>/", resident.track_photo, name="track_photo"),
    # Public boards (公示牌)
    path("boards/", boards.boards, name="boards"),
    path("board/<str:code>/", boards.board, name="board"),
    path("board/<str:code>/board.pdf", boards.board_pdf, name="board_pdf"),
]
