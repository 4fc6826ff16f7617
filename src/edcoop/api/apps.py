from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "edcoop.api"
    label = "api"
    verbose_name = "API"
