from django.apps import AppConfig
from django.db.models.signals import post_migrate


class CoreConfig(AppConfig):
    name = "edcoop.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from django.utils.module_loading import autodiscover_modules

        from . import checks, guards, job_kinds, mail  # noqa: F401  (checks, job kinds)

        # Once per migrate (core's signal comes after every migration ran): put back the
        # triggers a SQLite table rebuild dropped.
        post_migrate.connect(guards.after_migrate, sender=self, dispatch_uid="edcoop.guards")
        # Each app's integrity checks (``<app>/integrity.py``), run by ``audit verify``.
        autodiscover_modules("integrity")
