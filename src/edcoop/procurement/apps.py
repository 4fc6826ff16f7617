from django.apps import AppConfig


class ProcurementConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "edcoop.procurement"
    label = "procurement"
    verbose_name = "Cooperative procurement"
