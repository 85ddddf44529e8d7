from django.apps import AppConfig


class PoliciesConfig(AppConfig):
    name = "wuye.policies"
    label = "policies"
