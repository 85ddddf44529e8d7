"""The staff pages' URLs: today's list and each area's pages."""

from django.urls import path

from wuye.web import views
from wuye.web.pages import accounts, dashboards, dunning, finance

urlpatterns = [
    path("today/", views.today, name="today"),
    *accounts.urlpatterns,
    *finance.urlpatterns,
    *dunning.urlpatterns,
    *dashboards.urlpatterns,
]
