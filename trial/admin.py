"""Django admin for administrators: users of their own sites, sites and read-only views of the protocol.

Users are managed through the audited services (``trial.services``), with a reason: no page here sets
another person's password (an administrator issues a one-time set-password link), superuser status,
permissions or staff status (staff follows the administrator role), and an administrator sees and edits
only the users sharing one of their sites.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import PermissionDenied
from django.http import Http404
from simple_history.admin import SimpleHistoryAdmin

from core.admin import ReadOnlyAdmin
from core.audit.writes import REASON_REQUIRED

from .choices import Role
from .models import (
    CourseSequenceStep,
    CourseType,
    Drug,
    DrugHoldRule,
    ProtocolAmendment,
    ProtocolParameter,
    ProtocolVersion,
    RegimenItem,
    Site,
    Trial,
    User,
)
from .services import (
    OWN_ROLES,
    USER_FIELDS,
    password_link_issue,
    password_link_refusal,
    site_create,
    site_update,
    sites_managed_by,
    user_create,
    user_roles,
    user_update,
    users_managed_by,
)

PASSWORD_NOT_SET_HERE = "No one sets another person's password: issue a set-password link instead."
LINK_SENT = "A set-password link was e-mailed to {email}."


class UserAccountForm(forms.ModelForm):
    """The account, its roles and sites, a reason and whether to e-mail a set-password link (no password field)."""

    roles = forms.MultipleChoiceField(choices=Role.choices, widget=forms.CheckboxSelectMultiple, required=False)
    sites = forms.ModelMultipleChoiceField(queryset=Site.objects.none(), widget=forms.CheckboxSelectMultiple)
    issue_password_link = forms.BooleanField(
        label="E-mail a set-password link",
        required=False,
        help_text="The person sets their own password from the link; it works once.",
    )
    reason = forms.CharField(
        label="Reason for change", required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=500
    )

    class Meta:
        model = User
        fields = ["username", *USER_FIELDS]

    def __init__(self, *args, actor=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor = actor
        sites = Site.objects.all() if actor.is_superuser else Site.objects.filter(pk__in=actor.site_ids())
        self.fields["sites"].queryset = sites
        if self.instance.pk:
            self.fields["username"].disabled = True
            self.initial["roles"] = user_roles(self.instance)
            self.initial["sites"] = list(self.instance.sites.filter(pk__in=sites))
        else:
            self.fields["issue_password_link"].initial = True
            self.fields["issue_password_link"].disabled = True
            self.fields["email"].required = True

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk and self.has_changed() and not (cleaned.get("reason") or "").strip():
            self.add_error("reason", "A reason for change is required when the account, its roles or sites change.")
        if self.instance.pk == self.actor.pk and {"roles", "sites"} & set(self.changed_data):
            self.add_error("roles", OWN_ROLES)
        if cleaned.get("issue_password_link") and "email" in cleaned:
            refusal = password_link_refusal(self.actor, self.instance, cleaned["email"]) if self.instance.pk else None
            if not cleaned["email"]:
                self.add_error("email", "A set-password link is sent by e-mail: enter the e-mail address.")
            elif refusal:
                self.add_error("email", refusal)
        return cleaned


@admin.register(User)
class UserAdmin(BaseUserAdmin, SimpleHistoryAdmin):
    form = UserAccountForm
    add_form = UserAccountForm
    add_form_template = None  # Django's user add page asks for a password; this one does not
    fieldsets = (
        (None, {"fields": ("username",)}),
        ("Person", {"fields": ("first_name", "last_name", "email", "printed_name", "is_active")}),
        ("Trial", {"fields": ("roles", "sites")}),
        ("Password", {"fields": ("password_set_at", "password_link_issued_at", "issue_password_link")}),
        ("Reason", {"fields": ("reason",)}),
    )
    add_fieldsets = (
        (None, {"fields": ("username", "first_name", "last_name", "email", "printed_name")}),
        ("Trial", {"fields": ("roles", "sites")}),
        ("Password", {"fields": ("issue_password_link",)}),
    )
    readonly_fields = ["password_set_at", "password_link_issued_at"]
    list_display = ["username", "printed_name", "email", "is_active", "is_staff"]
    list_filter = ["is_active", "is_staff", "sites"]
    filter_horizontal = []

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)

        class ActorForm(form):
            def __init__(self, *args, **form_kwargs):
                super().__init__(*args, actor=request.user, **form_kwargs)

        return ActorForm

    def get_queryset(self, request):
        return users_managed_by(request.user)

    def get_object(self, request, object_id, from_field=None):
        user = super().get_object(request, object_id, from_field)
        if user is None:
            raise Http404  # a user of another site is not found, as on every other page
        return user

    def history_view(self, request, object_id, extra_context=None):
        self.get_object(request, object_id)  # simple-history would show a user outside the queryset
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        self.get_object(request, object_id)
        return super().history_form_view(request, object_id, version_id, extra_context)

    def revert_disabled(self, request, obj=None):
        return True  # reverting to an old version would bypass the services and their reason

    def user_change_password(self, request, id, form_url=""):
        raise PermissionDenied(PASSWORD_NOT_SET_HERE)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            user = User.objects.get(pk=obj.pk)
            user_update(
                actor=request.user,
                user=user,
                reason=data["reason"],
                roles=data["roles"],
                sites=list(data["sites"]),
                **{name: data[name] for name in USER_FIELDS},
            )
        else:
            user = user_create(
                actor=request.user,
                username=data["username"],
                password=None,
                roles=data["roles"],
                sites=list(data["sites"]),
                **{name: data[name] for name in ("first_name", "last_name", "email", "printed_name")},
            )
            obj.pk = obj.id = user.pk
        if data["issue_password_link"]:
            reason = data["reason"] if change else "New account"
            password_link_issue(actor=request.user, user=user, reason=reason, base_url=request.build_absolute_uri("/"))
            self.message_user(request, LINK_SENT.format(email=user.email), messages.SUCCESS)

    def save_related(self, request, form, formsets, change):
        """Roles and sites were saved by the services in :meth:`save_model`, with the reason."""

    def has_delete_permission(self, request, obj=None):
        return False  # deactivate instead: signatures and audit rows point at the user


class SiteForm(forms.ModelForm):
    """A site's code, name and whether it is active, with the reason for a change."""

    reason = forms.CharField(
        label="Reason for change", required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=500
    )

    class Meta:
        model = Site
        fields = ["trial", "code", "name", "is_active"]

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk and self.has_changed() and not (cleaned.get("reason") or "").strip():
            self.add_error("reason", REASON_REQUIRED)
        return cleaned


@admin.register(Site)
class SiteAdmin(SimpleHistoryAdmin):
    """Sites through the audited services: an administrator edits their own sites only, with a reason."""

    form = SiteForm
    list_display = ["code", "name", "trial", "is_active"]

    def get_queryset(self, request):
        return sites_managed_by(request.user)

    def get_readonly_fields(self, request, obj=None):
        return ["trial"] if obj else []

    def get_object(self, request, object_id, from_field=None):
        site = super().get_object(request, object_id, from_field)
        if site is None:
            raise Http404  # another site's record is not found, as on every other page
        return site

    def history_view(self, request, object_id, extra_context=None):
        self.get_object(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            site = Site.objects.get(pk=obj.pk)
            site_update(
                actor=request.user,
                site=site,
                reason=data["reason"],
                **{name: data[name] for name in ("code", "name", "is_active")},
            )
        else:
            site = site_create(actor=request.user, trial=data["trial"], code=data["code"], name=data["name"])
            obj.pk = obj.id = site.pk

    def revert_disabled(self, request, obj=None):
        return True

    def has_delete_permission(self, request, obj=None):
        return False


for model in (
    Trial,
    ProtocolAmendment,
    ProtocolVersion,
    ProtocolParameter,
    Drug,
    CourseType,
    CourseSequenceStep,
    DrugHoldRule,
):
    admin.site.register(model, ReadOnlyAdmin)


@admin.register(RegimenItem)
class RegimenItemAdmin(ReadOnlyAdmin):
    list_display = ["protocol_version", "course_type", "drug", "dose_amount", "dose_unit", "route", "days"]
    list_filter = ["protocol_version", "course_type__code", "drug"]
