from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "edcoop.billing"
    label = "billing"
    verbose_name = "Billing"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from edcoop.core import guards as core_guards

        from . import guards, jobs  # noqa: F401  (registers the billing-run job kind)

        core_guards.register("billing", guards.RULES)
        core_guards.register("billing_ledger", guards.LEDGER_RULES)
        core_guards.register("billing_payment_choices", guards.CHOICE_RULES)
