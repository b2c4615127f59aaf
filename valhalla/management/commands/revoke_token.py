"""Revoke a user's API token: ``manage.py revoke_token USERNAME``.

``manage.py drf_create_token USERNAME`` creates one (``-r`` replaces it).
"""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from rest_framework.authtoken.models import Token


class Command(BaseCommand):
    help = "Delete a user's API token, so it no longer authenticates."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, **options) -> None:
        username = options["username"]
        if not get_user_model().objects.filter(username=username).exists():
            raise CommandError(f"No user {username!r}.")
        deleted, _ = Token.objects.filter(user__username=username).delete()
        self.stdout.write(f"revoked {deleted} token(s) of {username}")
