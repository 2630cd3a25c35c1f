from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "gridgov.cases"
    label = "cases"
    verbose_name = _("案件办理")

    def ready(self) -> None:
        # The verbs' permissions are registered by one loop over their table (workflow.py).
        from gridgov.cases import workflow  # noqa: F401
