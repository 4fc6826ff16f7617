from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "edcoop.core"
    label = "core"
    verbose_name = "Core"
