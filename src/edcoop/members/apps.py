from django.apps import AppConfig


class MembersConfig(AppConfig):
    name = "edcoop.members"
    label = "members"
    verbose_name = "Members"

    def ready(self) -> None:
        from . import jobs  # noqa: F401  (registers the job kinds with the worker)
