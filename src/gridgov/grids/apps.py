from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GridsConfig(AppConfig):
    name = "gridgov.grids"
    label = "grids"
    verbose_name = _("区划与网格")

    def ready(self) -> None:
        from gridgov.grids.audit import register_grid_models

        register_grid_models()
