from django.apps import AppConfig


class ApprovalsConfig(AppConfig):
    name = "wuye.approvals"
    verbose_name = "審批及通知"
