from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PeopleConfig(AppConfig):
    name = "gridgov.people"
    label = "people"
    verbose_name = _("人员与岗位")

    def ready(self) -> None:
        # The `rules` permissions live in permissions.py, which rules' autodiscovery (it looks
        # for rules.py) would not import.
        from gridgov.people import permissions  # noqa: F401
        from gridgov.people.audit import register_people_models

        register_people_models()

        from django.contrib.auth.signals import user_logged_in

        from gridgov.people.middleware import note_password_change_due

        # A log-in hook: the session learns whether its password must be changed first.
        user_logged_in.connect(note_password_change_due, dispatch_uid="people_password_due")
