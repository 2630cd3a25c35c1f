from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OversightConfig(AppConfig):
    name = "gridgov.oversight"
    label = "oversight"
    verbose_name = _("督查考核")

    def ready(self) -> None:
        from gridgov.oversight.audit import register_oversight_models

        register_oversight_models()

        from gridgov.oversight import triggers

        triggers.connect()

        from gridgov.cases.models import register_visibility_hook
        from gridgov.oversight.coordination import group_visibility_q

        register_visibility_hook("oversight.groups", group_visibility_q)

        from gridgov.fieldwork.safety.models import register_visibility_hook as safety_hook
        from gridgov.oversight.coordination import group_territory_q

        safety_hook("oversight.groups", group_territory_q)
