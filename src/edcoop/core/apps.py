from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "edcoop.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from . import job_kinds  # noqa: F401  (registers the job kinds with the worker)
