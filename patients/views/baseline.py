"""The baseline characteristics page: record or correct, with the derived values beside the form."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect

from core.forms import SignatureForm, render_form, submit
from core.selectors import signatures_for

from ..forms.baseline import BaselineForm
from ..selectors import patient_get
from ..selectors.baseline import baseline_of, baseline_summary
from ..services.baseline import baseline_record
from ..validators import BASELINE_FIELDS


@login_required
@permission_required("patients.view_baseline", raise_exception=True)
def baseline(request, pk):
    """GET shows the baseline form (blank before the first record); POST records or corrects it."""
    patient = patient_get(request.user, pk)
    record = baseline_of(patient)
    editing = record is not None
    may_save = request.user.has_perm("patients.change_baseline" if editing else "patients.add_baseline")
    if request.method == "POST" and not may_save:
        raise PermissionDenied
    initial = {name: getattr(record, name) for name in BASELINE_FIELDS} if editing else None
    form = BaselineForm(request.POST or None, initial=initial, editing=editing)
    if not may_save:
        for field in form.fields.values():
            field.disabled = True
    saved = submit(
        form,
        lambda data: baseline_record(
            actor=request.user, patient=patient, reason=data.get("reason", ""), **form.values()
        ),
    )
    if saved is not None:
        messages.success(request, "Baseline saved." if editing else "Baseline recorded.")
        return redirect("patients:baseline", pk=patient.pk)
    context = {
        "patient": patient,
        "form": form,
        "editing": editing,
        "may_save": may_save,
        "summary": baseline_summary(patient, record),
    }
    if editing:
        context |= {
            "record": record,
            "record_label": record._meta.label_lower,
            "signatures": signatures_for(record),
            "sign_form": SignatureForm(),
        }
    return render_form(request, "patients/baseline.html", context)
