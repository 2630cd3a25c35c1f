from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistryConfig(AppConfig):
    name = "gridgov.registry"
    label = "registry"
    verbose_name = _("基础信息")

    def ready(self) -> None:
        from gridgov.registry.audit import register_registry_models

        register_registry_models()

        from gridgov.core.hooks import register_facility_lookup
        from gridgov.registry.services import facility_ref

        # Cases ask for a facility's owner (先属主后属地) without importing the registry.
        register_facility_lookup(facility_ref)
