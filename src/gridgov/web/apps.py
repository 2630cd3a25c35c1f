from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebConfig(AppConfig):
    name = "gridgov.web"
    label = "web"
    verbose_name = _("页面")

    def ready(self) -> None:
        # The queue pages (cases) open to each role the queues of its navigation bar.
        from gridgov.cases.queues import register_queue_access
        from gridgov.web.navigation import queues_for

        register_queue_access(queues_for)
