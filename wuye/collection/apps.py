from django.apps import AppConfig


class CollectionConfig(AppConfig):
    name = "wuye.collection"
    label = "collection"
    verbose_name = "催收（電話、承諾付款、上門）"
