from django.apps import AppConfig


class ContractsConfig(AppConfig):
    name = "edcoop.contracts"
    label = "contracts"
    verbose_name = "Contracts and purchasing"
