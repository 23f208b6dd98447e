"""After a POST a page goes back where the user came from, never to another site."""

import pytest
from django.test import RequestFactory

from core.redirects import next_url


@pytest.mark.parametrize(
    ("target", "back"),
    [
        ("/dosing/worklist/", "/dosing/worklist/"),
        ("http://testserver/patients/7/", "http://testserver/patients/7/"),
        ("https://evil.example/phish", "/courses/3/"),
        ("//evil.example/phish", "/courses/3/"),
        ("", "/courses/3/"),
    ],
)
def test_next_is_followed_only_on_this_site(target, back):
    request = RequestFactory().post("/sign/", {"next": target})
    assert next_url(request, "/courses/3/") == back
