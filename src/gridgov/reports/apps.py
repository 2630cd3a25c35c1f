from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "gridgov.reports"
    label = "reports"
    verbose_name = _("统计报表")

    def ready(self) -> None:
        # Work summaries keep their models in their own module (the app is shared).
        from gridgov.reports import summary_models  # noqa: F401
