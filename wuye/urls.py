"""URLs: the administrators' configuration (Django admin) for now; the staff web
application and the REST API (issue 6) join here."""

from django.contrib import admin
from django.urls import path
from django.views.generic import RedirectView

admin.site.site_header = "wuye 物業 — 系統管理"
admin.site.site_title = "wuye 物業"
admin.site.index_title = "設定（收費項目、催繳程序、政策、範本、常見問題、日曆、用戶）"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
]
