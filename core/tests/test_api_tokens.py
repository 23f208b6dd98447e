"""API tokens expire, end with a new password or a deactivated account, and callers are throttled."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient
from rest_framework.throttling import UserRateThrottle

from core.api.authentication import token_lifetime

pytestmark = pytest.mark.django_db


def _client(token) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def test_a_fresh_token_works_and_an_expired_one_is_refused_and_deleted(nurse_a):
    token = Token.objects.create(user=nurse_a)
    assert _client(token).get("/api/v1/patients/").status_code == 200
    Token.objects.filter(pk=token.pk).update(created=timezone.now() - token_lifetime() - timedelta(minutes=1))
    response = _client(token).get("/api/v1/patients/")
    assert response.status_code == 401
    assert response.json()["errors"][0]["message"] == "The API token has expired: ask for a new one."
    assert not Token.objects.filter(user=nurse_a).exists()


def test_a_new_password_ends_the_users_tokens(nurse_a):
    token = Token.objects.create(user=nurse_a)
    nurse_a.set_password("another-long-password-42")
    nurse_a.save()
    assert _client(token).get("/api/v1/patients/").status_code == 401
    assert not Token.objects.filter(user=nurse_a).exists()


def test_a_deactivated_account_loses_its_tokens_and_other_changes_keep_them(nurse_a):
    token = Token.objects.create(user=nurse_a)
    nurse_a.first_name = "Renamed"
    nurse_a.save()
    assert Token.objects.filter(user=nurse_a).exists()  # a name change is not a credential change
    nurse_a.is_active = False
    nurse_a.save()
    assert not Token.objects.filter(user=nurse_a).exists()
    assert _client(token).get("/api/v1/patients/").status_code == 401


def test_a_user_over_the_rate_gets_429_with_retry_after(nurse_a, monkeypatch):
    monkeypatch.setattr(UserRateThrottle, "THROTTLE_RATES", {"user": "3/minute", "anon": "3/minute"})
    client = _client(Token.objects.create(user=nurse_a))
    assert [client.get("/api/v1/patients/").status_code for _ in range(3)] == [200, 200, 200]
    response = client.get("/api/v1/patients/")
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "errors" in response.json()
