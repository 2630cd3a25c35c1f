from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HotlineConfig(AppConfig):
    name = "gridgov.hotline"
    label = "hotline"
    verbose_name = _("热线与倒查")

    def ready(self) -> None:
        # Back-tracing tasks appear in the worker's and the station's inbox (web).
        from gridgov.core.inbox import register_source
        from gridgov.hotline.inbox import backtrace_inbox

        register_source("hotline.backtrace", backtrace_inbox)
