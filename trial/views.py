"""Pages of the trial app: home and protocol."""

from django.contrib.auth.decorators import login_required, permission_required
from django.shortcuts import render

from . import selectors


@login_required
def home(request):
    return render(request, "trial/home.html", selectors.trial_home(request.user))


@login_required
@permission_required("trial.view_protocolversion", raise_exception=True)
def protocol(request):
    return render(request, "trial/protocol.html", {"versions": selectors.protocol_overview()})
