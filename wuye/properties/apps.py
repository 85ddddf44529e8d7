from django.apps import AppConfig


class PropertiesConfig(AppConfig):
    name = "wuye.properties"
    label = "properties"
    verbose_name = "物業資料 / properties"
