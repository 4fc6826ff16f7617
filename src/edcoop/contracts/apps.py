from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ContractsConfig(AppConfig):
    name = "edcoop.contracts"
    label = "contracts"
    verbose_name = "Contracts and purchasing"

    def ready(self) -> None:
        from edcoop.core import guards as core_guards

        from . import jobs  # noqa: F401  (registers the job kind with the worker)
        from .guards import ORDER_RULES
        from .search_index import after_migrate

        post_migrate.connect(after_migrate, dispatch_uid="contracts_search_index")
        core_guards.register("contracts_orders", ORDER_RULES)
