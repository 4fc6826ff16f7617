from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ContractsConfig(AppConfig):
    name = "edcoop.contracts"
    label = "contracts"
    verbose_name = "Contracts and purchasing"

    def ready(self) -> None:
        from . import jobs  # noqa: F401  (registers the job kind with the worker)
        from .search_index import after_migrate

        post_migrate.connect(after_migrate, dispatch_uid="contracts_search_index")
