from django.apps import AppConfig


class MembersConfig(AppConfig):
    name = "edcoop.members"
    label = "members"
    verbose_name = "Members"

    def ready(self) -> None:
        from edcoop.core import guards as core_guards

        from . import jobs  # noqa: F401  (registers the job kinds with the worker)
        from .guards import LETTERHEAD_RULES

        core_guards.register("members_letterhead", LETTERHEAD_RULES)
