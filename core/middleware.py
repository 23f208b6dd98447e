"""Session idle timeout (a signed-in user idle for longer than the limit is signed out) and the caching rule for
responses that can carry clinical data."""

import time
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.utils.cache import patch_cache_control

IDLE_LOGOUT_MESSAGE = "You were signed out after {minutes} minutes without activity. Please sign in again."
LAST_ACTIVITY_KEY = "last_activity_epoch"


class SessionIdleTimeoutMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and hasattr(request, "session"):
            limit = settings.SESSION_IDLE_TIMEOUT_SECONDS
            now = int(time.time())
            last = request.session.get(LAST_ACTIVITY_KEY)
            if last is not None and now - last > limit:
                logout(request)
                if request.path.startswith("/api/"):
                    return self.get_response(request)
                messages.info(request, IDLE_LOGOUT_MESSAGE.format(minutes=limit // 60))
                return redirect(f"{settings.LOGIN_URL_PATH}?{urlencode({'next': request.path})}")
            request.session[LAST_ACTIVITY_KEY] = now
        return self.get_response(request)


class PrivateNoStoreMiddleware:
    """``Cache-Control: no-store, private`` on every response to a signed-in user and on every API response, so no
    browser, proxy or shared cache keeps a page or answer that can hold clinical data or identifying data; a view that
    sets ``Cache-Control`` itself keeps its own. Static files never get here (WhiteNoise answers them before this
    middleware) and keep their long caching. API callers authenticated by token are signed in only inside the view,
    hence the rule by path for ``/api/``."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        signed_in = _signed_in(request)
        response = self.get_response(request)
        private = signed_in or _signed_in(request) or request.path.startswith("/api/")
        if private and not response.has_header("Cache-Control"):
            patch_cache_control(response, no_store=True, private=True)
        return response


def _signed_in(request) -> bool:
    user = getattr(request, "user", None)
    return user is not None and user.is_authenticated
