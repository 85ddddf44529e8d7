from django.apps import AppConfig


class WorkdaysConfig(AppConfig):
    name = "wuye.workdays"
    label = "workdays"
