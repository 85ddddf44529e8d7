from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "wuye.audit"
    label = "audit"
    verbose_name = "稽核紀錄"

    def ready(self) -> None:
        from wuye.audit import signals

        signals.connect()
