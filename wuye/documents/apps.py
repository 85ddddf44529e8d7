from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "wuye.documents"
    label = "documents"
    verbose_name = "印刷文件"
