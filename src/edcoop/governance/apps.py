from django.apps import AppConfig


class GovernanceConfig(AppConfig):
    name = "edcoop.governance"
    label = "governance"
    verbose_name = "Governance"
