from django.apps import AppConfig


class GridsConfig(AppConfig):
    name = "gridgov.grids"
    label = "grids"

    def ready(self) -> None:
        from gridgov.grids.audit import register_grid_models

        register_grid_models()
