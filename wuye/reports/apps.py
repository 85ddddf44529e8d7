from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "wuye.reports"
    label = "reports"
    verbose_name = "報表（負責收款員、欠費清單、回款、收繳率）"
