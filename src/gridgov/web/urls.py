from django.contrib.auth import views as auth_views
from django.urls import path

from gridgov.web.views import boards, command, home, inbox, phone

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
    # The in-app inbox of every user
    path("inbox/", inbox.inbox, name="inbox"),
    path("inbox/unread/", inbox.unread_badge, name="inbox_unread"),
    path("inbox/read-all/", inbox.read_all, name="inbox_read_all"),
    path("inbox/<int:pk>/", inbox.open_notification, name="inbox_open"),
    # Grid worker's phone shell (its case pages are the cases app's)
    path("m/", phone.phone_home, name="phone_home"),
    path("m/sw.js", phone.phone_sw, name="phone_sw"),
    # Grid outlines of the residents' report map (the report pages are the cases app's)
    path("report/grids.json", boards.resident_grids, name="resident_grids"),
    # Public boards (公示牌)
    path("boards/", boards.boards, name="boards"),
    path("board/<str:code>/", boards.board, name="board"),
    path("board/<str:code>/board.pdf", boards.board_pdf, name="board_pdf"),
]
