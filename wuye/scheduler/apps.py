from django.apps import AppConfig


class SchedulerConfig(AppConfig):
    name = "wuye.scheduler"
    label = "scheduler"
    verbose_name = "排程與任務隊列（issue 7）"
