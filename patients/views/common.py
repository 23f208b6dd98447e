"""A page that shows a form for one patient, calls a service with its data, and returns to the patient."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render

from core.forms import add_service_errors


def patient_form_page(request, *, patient, form, title, action, save, success, record=None, intro=""):
    """Validate, call the service, and go back to the patient's page; else re-render with the errors (400)."""
    if request.method == "POST" and form.is_valid():
        try:
            save(dict(form.cleaned_data))
        except ValidationError as exc:
            if record is not None:
                record.refresh_from_db()
            add_service_errors(form, exc)
        else:
            messages.success(request, success)
            return redirect("patients:detail", pk=patient.pk)
    return render(
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
        status=400 if form.errors else 200,
    )
