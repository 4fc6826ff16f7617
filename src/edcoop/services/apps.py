from django.apps import AppConfig


class ServicesConfig(AppConfig):
    name = "edcoop.services"
    label = "services"
    verbose_name = "Shared services"
    default_auto_field = "django.db.models.BigAutoField"
