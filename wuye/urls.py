"""URLs: login, the staff pages, the administrators' configuration (Django admin), the
language switch and the REST API (/api/v1/)."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView
from django.views.i18n import set_language

admin.site.site_header = "wuye 物業 — 系統管理"
admin.site.site_title = "wuye 物業"
admin.site.index_title = "設定（收費項目、催繳程序、政策、範本、常見問題、日曆、用戶）"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("login/", auth_views.LoginView.as_view(template_name="web/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("language/", set_language, name="set_language"),
    path("api/v1/", include("wuye.api.urls")),
    path("", include("wuye.web.urls")),
    path("", RedirectView.as_view(pattern_name="today", permanent=False)),
]
