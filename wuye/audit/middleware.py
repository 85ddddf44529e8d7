"""The logged-in user is the actor of the audit events a request writes (issue 8); after
a request that may have changed something, new events are sealed into the chain."""

from wuye.audit.context import acting_as
from wuye.audit.services import seal_quietly

SAFE = {"GET", "HEAD", "OPTIONS", "TRACE"}


class AuditActorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with acting_as(lambda: _username(request)):
            response = self.get_response(request)
        if request.method not in SAFE:
            seal_quietly()
        return response


def _username(request) -> str | None:
    # read when an event is written: an API token's user is set by the view (DRF)
    user = getattr(request, "user", None)
    return user.get_username() if user is not None and user.is_authenticated else None
