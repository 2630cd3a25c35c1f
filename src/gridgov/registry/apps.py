from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistryConfig(AppConfig):
    name = "gridgov.registry"
    label = "registry"
    verbose_name = _("基础信息")

    def ready(self) -> None:
        from gridgov.registry.audit import register_registry_models

        register_registry_models()
