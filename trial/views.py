"""Pages of the trial app: home, protocol and setting one's own password from a one-time link."""

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required, permission_required
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.views.generic import TemplateView

from . import selectors
from .derivations import item_condition_text
from .models import Trial
from .protocol_loader import condition_variables
from .services import password_set


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


class PasswordSetView(auth_views.PasswordResetConfirmView):
    """The page a set-password link opens: the person chooses their password; the link then stops working.

    Django's view checks the link; the password is saved through :func:`trial.services.password_set`, so the
    event is in the audit trail (never the value). The person is not signed in: they sign in afterwards.
    """

    template_name = "registration/password_set.html"
    success_url = reverse_lazy("trial:password-set-done")
    post_reset_login = False

    def form_valid(self, form):
        password_set(user=form.user, password=form.cleaned_data["new_password1"])
        del self.request.session[auth_views.INTERNAL_RESET_SESSION_TOKEN]
        return redirect(self.success_url)


password_set_done = TemplateView.as_view(template_name="registration/password_set_done.html")
