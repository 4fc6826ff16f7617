from django.apps import AppConfig


class MembersConfig(AppConfig):
    name = "edcoop.members"
    label = "members"
    verbose_name = "Members"
