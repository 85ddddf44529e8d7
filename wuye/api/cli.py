"""`wuye api token USER` (issue 6): print the user's REST API token, creating it if the
user has none (`--new` replaces it, e.g. when it leaked). docs/api.md."""

from __future__ import annotations


def register(group, command) -> None:
    api = group("api", "the REST API under /api/v1/ (docs/api.md)")
    p = command(api, "token", _token, "print a user's API token (created if missing)")
    p.add_argument("username", metavar="USER")
    p.add_argument("--new", action="store_true", help="replace the user's token with a new one")


def _token(args) -> int:
    from django.contrib.auth import get_user_model
    from django.db import transaction
    from rest_framework.authtoken.models import Token

    from wuye.cli import _emit
    from wuye.errors import NotFound

    user = get_user_model().objects.filter(username=args.username).first()
    if user is None:
        raise NotFound("user", args.username)
    with transaction.atomic():
        if args.new:
            Token.objects.filter(user=user).delete()
        token, created = Token.objects.get_or_create(user=user)
    data = {"user": user.get_username(), "token": token.key, "created": created}
    return _emit(args, data, token.key)
