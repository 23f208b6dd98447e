"""API tokens that expire, and are revoked when their user's password changes or the account is deactivated.

A token older than ``API_TOKEN_LIFETIME_HOURS`` is refused (401, in the API's error shape) and deleted; the user
asks an administrator for a new one (``manage.py drf_create_token USER``). A new password, or an account made
inactive, deletes the user's tokens in the same transaction as the change.
"""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token

TOKEN_EXPIRED = "The API token has expired: ask for a new one."


def token_lifetime() -> timedelta:
    return timedelta(hours=settings.API_TOKEN_LIFETIME_HOURS)


class ExpiringTokenAuthentication(TokenAuthentication):
    """``Authorization: Token <key>``, refused once the token is older than its lifetime."""

    def authenticate_credentials(self, key):
        user, token = super().authenticate_credentials(key)
        if timezone.now() - token.created > token_lifetime():
            token.delete()
            raise exceptions.AuthenticationFailed(TOKEN_EXPIRED, code="token_expired")
        return user, token


def revoke_tokens_on_credentials_change(sender, instance, raw=False, **kwargs):
    """``pre_save`` of the user model: a changed password or a deactivated account ends the user's API tokens."""
    if raw or instance.pk is None:
        return
    stored = sender._default_manager.filter(pk=instance.pk).values("password", "is_active").first()
    if stored is None:
        return
    if stored["password"] != instance.password or (stored["is_active"] and not instance.is_active):
        Token.objects.filter(user_id=instance.pk).delete()
