from django.apps import AppConfig


class RoundsConfig(AppConfig):
    name = "wuye.rounds"
    label = "rounds"
    verbose_name = "夜間上門收費（S2a）"
