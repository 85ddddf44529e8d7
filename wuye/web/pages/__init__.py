"""The staff pages by area; each module has its `urlpatterns` (joined in wuye/web/urls.py)."""
