from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "wuye.messaging"
    verbose_name = "短信及電郵"
