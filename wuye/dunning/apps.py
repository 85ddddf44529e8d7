from django.apps import AppConfig


class DunningConfig(AppConfig):
    name = "wuye.dunning"
    verbose_name = "催繳"
