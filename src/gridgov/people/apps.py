from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "gridgov.people"
    label = "people"

    def ready(self) -> None:
        # The `rules` permissions live in permissions.py, which rules' autodiscovery (it looks
        # for rules.py) would not import.
        from gridgov.people import permissions  # noqa: F401
        from gridgov.people.audit import register_people_models

        register_people_models()
