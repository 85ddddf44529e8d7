from django.apps import AppConfig


class ApiConfig(AppConfig):
    """The REST API under /api/v1/ (issue 6): a thin edge over the same services and
    selectors as the command line and the staff pages (STYLE §9)."""

    name = "wuye.api"
    label = "api"
    verbose_name = "REST API"
