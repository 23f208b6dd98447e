"""Pages of the patients app."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.shortcuts import redirect, render

from core.forms import SignatureForm, render_form, submit
from core.paging import paginate
from core.selectors import signatures_for
from trial.models import ProtocolVersion
from trial.selectors import sites_for_user

from .. import selectors, services
from ..choices import PatientStatus
from ..forms import PatientEditForm, PatientScreenForm
from ..models import PHI_FIELDS
from ..selectors.baseline import baseline_summary
from ..selectors.eligibility import eligibility_summary, latest_assessment

PATIENTS_PER_PAGE = 50


def home_enrolment_panel(context):
    """The enrolment panel of the trial's home page (registered in ``PatientsConfig.ready``)."""
    return selectors.enrolment(context["user"])


@login_required
@permission_required("patients.view_patient", raise_exception=True)
def patient_list(request):
    filters = {
        "search": request.GET.get("q", "").strip(),
        "status": request.GET.get("status", ""),
        "protocol_version": request.GET.get("version", ""),
    }
    page, query = paginate(request, selectors.patient_list(request.user, **filters), PATIENTS_PER_PAGE)
    return render(
        request,
        "patients/list.html",
        {
            "patients": page.object_list,
            "page": page,
            "query": query,
            "filters": filters,
            "statuses": PatientStatus.choices,
            "versions": ProtocolVersion.objects.order_by("effective_date"),
        },
    )


@login_required
@permission_required("patients.view_patient", raise_exception=True)
def patient_detail(request, pk):
    patient = selectors.patient_get(request.user, pk)
    assessment = latest_assessment(patient)
    return render(
        request,
        "patients/detail.html",
        {
            "patient": patient,
            "consents": patient.consents.select_related("obtained_by"),
            "assessment": assessment,
            "eligibility": eligibility_summary(assessment) if assessment else None,
            "baseline": baseline_summary(patient),
            "signatures": signatures_for(patient),
            "sign_form": SignatureForm(),
            "record_label": patient._meta.label_lower,
        },
    )


@login_required
@permission_required("patients.add_patient", raise_exception=True)
def patient_screen(request):
    sites = sites_for_user(request.user)
    form = PatientScreenForm(request.POST or None, sites=sites)
    if not request.user.has_perm("trial.view_phi"):
        for name in PHI_FIELDS:
            form.fields.pop(name, None)
    patient = submit(form, lambda data: services.patient_screen(actor=request.user, **data))
    if patient is not None:
        messages.success(request, f"Screening opened for {patient.subject_id}.")
        return redirect("patients:detail", pk=patient.pk)
    return render_form(request, "patients/screen.html", {"form": form})


@login_required
@permission_required("patients.change_patient", raise_exception=True)
def patient_edit(request, pk):
    patient = selectors.patient_get(request.user, pk)
    hidden = selectors.phi_hidden_fields(request.user)
    initial = {name: getattr(patient, name) for name in services.EDITABLE_FIELDS}
    form = PatientEditForm(request.POST or None, initial=initial)
    for name in hidden:
        form.fields.pop(name, None)
    if submit(form, lambda data: services.patient_update(actor=request.user, patient=patient, **data), record=patient):
        messages.success(request, "Changes saved.")
        return redirect("patients:detail", pk=patient.pk)
    return render_form(request, "patients/edit.html", {"form": form, "patient": patient})
