"""Pages of the trial app: home and protocol."""

from django.contrib.auth.decorators import login_required, permission_required
from django.shortcuts import render

from . import selectors
from .derivations import item_condition_text
from .models import Trial
from .protocol_loader import condition_variables


@login_required
def home(request):
    return render(request, "trial/home.html", selectors.trial_home(request.user))


@login_required
@permission_required("trial.view_protocolversion", raise_exception=True)
def protocol(request):
    versions = list(selectors.protocol_overview())
    nct_ids = dict(Trial.objects.values_list("pk", "nct_id"))
    for version in versions:
        variables = condition_variables(nct_ids[version.trial_id])
        for course_type in version.course_types.all():
            for item in course_type.regimen_items.all():
                item.condition_words = item_condition_text(item, variables)
    return render(request, "trial/protocol.html", {"versions": versions})
