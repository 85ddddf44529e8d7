"""The staff pages speak Traditional Chinese unless the user chose otherwise (issue 6):
the language comes from the language cookie set by Django's `set_language`, never from
the browser's Accept-Language (an English browser in a Shenzhen office still gets 繁體)."""

from __future__ import annotations

from django.conf import settings
from django.utils import translation


class StaffLanguageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.codes = {code for code, _ in settings.LANGUAGES}

    def __call__(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen in self.codes else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response
