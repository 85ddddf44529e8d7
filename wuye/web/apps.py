from django.apps import AppConfig
from django.db.models.signals import post_migrate


class WebConfig(AppConfig):
    name = "wuye.web"
    verbose_name = "網頁"

    def ready(self) -> None:
        from wuye.web.roles import ensure_role_groups

        post_migrate.connect(ensure_role_groups, sender=self)
