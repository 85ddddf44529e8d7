from django.apps import AppConfig


class ImportsConfig(AppConfig):
    name = "wuye.imports"
    label = "imports"
    verbose_name = "匯入"
