"""A page that shows a form for one patient, calls a service with its data, and returns to the patient."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.shortcuts import redirect

from core.forms import render_form, submit

from ..selectors import patient_get


def patient_form_page(request, *, patient, form, title, action, save, success, record=None, intro=""):
    """Validate, call the service, and go back to the patient's page; else re-render with the errors (400)."""
    if submit(form, save, record=record) is not None:
        messages.success(request, success)
        return redirect("patients:detail", pk=patient.pk)
    return render_form(
        request,
        "patients/form_page.html",
        {
            "patient": patient,
            "form": form,
            "title": title,
            "action": action,
            "intro": intro,
            "record": record,
            "record_label": record._meta.label_lower if record is not None else "",
        },
    )


def patient_record_page(*, permission, form_class, service, title, action, success, intro=""):
    """The page recording one thing about a patient (``/<pk>/…``): ``service(actor=, patient=, **form data)``."""

    @login_required
    @permission_required(permission, raise_exception=True)
    def view(request, pk):
        patient = patient_get(request.user, pk)
        return patient_form_page(
            request,
            patient=patient,
            form=form_class(request.POST or None),
            title=title,
            action=action,
            save=lambda data: service(actor=request.user, patient=patient, **data),
            success=success,
            intro=intro,
        )

    return view


def correction_page(*, permission, get, form_class, fields, service, title, success):
    """The page correcting a saved record of a patient (``/<record>/<pk>/edit/``) with a reason for change:
    ``service(actor=, <record>=, reason=, **changes)``; ``get(user, pk)`` reads it (another site's is a 404)."""

    @login_required
    @permission_required(permission, raise_exception=True)
    def view(request, pk):
        record = get(request.user, pk)

        def save(data):
            reason = data.pop("reason")
            return service(actor=request.user, reason=reason, **{record._meta.model_name: record}, **data)

        return patient_form_page(
            request,
            patient=record.patient,
            form=form_class(request.POST or None, initial={name: getattr(record, name) for name in fields}),
            title=title,
            action="Save correction",
            save=save,
            success=success,
            record=record,
        )

    return view
