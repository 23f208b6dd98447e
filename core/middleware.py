"""Session idle timeout: a signed-in user idle for longer than the limit is signed out."""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.shortcuts import redirect

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
                return redirect(f"{settings.LOGIN_URL_PATH}?next={request.path}")
            request.session[LAST_ACTIVITY_KEY] = now
        return self.get_response(request)
