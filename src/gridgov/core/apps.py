from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "gridgov.core"
    label = "core"
    verbose_name = _("工作日历与通知")

    def ready(self) -> None:
        # Framework wiring only: every log-in lockout leaves an audit-log row.
        from axes.signals import user_locked_out

        from gridgov.core.lockout import record_lockout

        user_locked_out.connect(record_lockout, dispatch_uid="gridgov.core.lockout")
        # The database cache's table is made by every `migrate` (README: no third command).
        post_migrate.connect(create_cache_tables, sender=self, dispatch_uid="gridgov.cache")


def create_cache_tables(sender: AppConfig, using: str = "default", **kwargs: object) -> None:
    from django.core.management import call_command

    call_command("createcachetable", database=using, verbosity=0)
