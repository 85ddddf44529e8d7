"""/api/v1/ (issue 6, docs/api.md)."""

from django.urls import path, re_path, register_converter
from drf_spectacular.views import SpectacularJSONAPIView

from wuye.api import views


class Key:
    """A code or number in a path: no slash and no NUL (PostgreSQL refuses NUL in text;
    such a path is a 404 like any other unknown address)."""

    regex = "[^/\x00]+"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(Key, "key")
app_name = "api"

urlpatterns = [
    path("openapi.json", SpectacularJSONAPIView.as_view(), name="openapi"),
    path("token/", views.TokenView.as_view(), name="token"),
    path("projects/", views.ProjectList.as_view(), name="projects"),
    path("projects/<key:code>/", views.ProjectDetail.as_view(), name="project"),
    path("units/", views.UnitList.as_view(), name="units"),
    path("accounts/", views.AccountList.as_view(), name="accounts"),
    path("accounts/<int:pk>/", views.AccountDetail.as_view(), name="account"),
    path("accounts/<int:pk>/statement/", views.AccountStatement.as_view(), name="statement"),
    path("bills/", views.BillList.as_view(), name="bills"),
    path("bills/<key:number>/", views.BillDetail.as_view(), name="bill"),
    path("payments/", views.PaymentList.as_view(), name="payments"),
    path("dunning/preview/", views.DunningPreview.as_view(), name="dunning-preview"),
    path("dunning/run/", views.DunningRun.as_view(), name="dunning-run"),
    path("notices/", views.NoticeList.as_view(), name="notices"),
    path("notices/<key:number>/", views.NoticeDetail.as_view(), name="notice"),
    path("tasks/", views.Tasks.as_view(), name="tasks"),
    re_path(r"^.*$", views.not_found),  # last: anything else is a 404 in the API's shape
]
