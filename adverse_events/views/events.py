"""The adverse-event pages: reporting and correcting an AE (CTCAE term by type-ahead, then only the grades the term
defines, with the term's own grade texts), an AE's page with its reporting window and SAE clock, the patient's AEs,
the site AE log, and lab values whose grade ≥ 3 proposes an AE for the nurse to confirm or dismiss.

Every read goes through ``adverse_events.selectors`` (scoped to the user's sites: another site's record is a 404)
and every write through ``adverse_events.services``; a service's ValidationError comes back next to the field it
names. The term search and the grade choices are htmx fragments; without JavaScript the same buttons submit the
form, which comes back with the search results or the picked term's grades and nothing saved.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.forms import MultipleChoiceField
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from core.formatting import plain_number
from core.forms import SignatureForm, render_form, submit
from core.paging import paginate
from core.selectors import signatures_for
from dosing.selectors import courses_for
from patients.selectors import patient_get

from .. import selectors, services
from ..choices import LabProposalStatus, SAECriterion, UnitSystem
from ..forms import (
    ATTRIBUTION_PREFIX,
    AdverseEventEditForm,
    AdverseEventForm,
    AELogFilterForm,
    LabDismissForm,
    LabResultForm,
    SAEReportForm,
    TermGradeForm,
)
from ..models import CTCAETerm
from ..selectors import lab_tests

SEARCH = "search_terms"  # the no-JavaScript "Search" button of the term search
PICK = "pick_term"  # the no-JavaScript button of a search result (its value is the term's id)
MIN_QUERY = 2
LOG_PAGE_SIZE = 100


# ---------------------------------------------------------------------------------------------
# The AE form: term block (picked term, its grades with their texts, verbatim)
# ---------------------------------------------------------------------------------------------


def _chosen_term(form) -> CTCAETerm | None:
    value = form["term"].value()
    if value is None or not str(value).isdigit():
        return None
    return CTCAETerm.objects.filter(pk=value).first()


def term_block(form) -> dict:
    """What the term block shows: the picked term, its defined grades with the term's own texts (the checked one
    marked), and whether the verbatim is required."""
    term = _chosen_term(form)
    checked = str(form["grade"].value() or "")
    grades = []
    if term is not None:
        grades = [
            {"grade": g, "text": term.grade_text(g), "checked": str(g) == checked, "id": f"id_grade_{g}"}
            for g in term.defined_grades
        ]
    return {"term": term, "grades": grades, "form": form}


def _ae_form(request, form_class, *, initial, **kwargs):
    """The form bound to the POST; or, when the POST only searched or picked a term (no JavaScript), an unbound
    form holding the typed values, so nothing is validated or saved. Returns (form, search results, searched)."""
    if request.method != "POST":
        return form_class(initial=initial, **kwargs), [], False
    data = request.POST
    if SEARCH not in data and PICK not in data:
        return form_class(data, **kwargs), [], False
    probe = form_class(**kwargs)
    typed = {}
    for name, field in probe.fields.items():
        if isinstance(field, MultipleChoiceField):
            typed[name] = data.getlist(name)
        elif name in data:
            typed[name] = data[name]
    if PICK in data:
        typed["term"] = data[PICK]
        return form_class(initial=typed, **kwargs), [], False
    query = data.get("q", "").strip()
    terms = list(selectors.term_search(query)) if len(query) >= MIN_QUERY else []
    return form_class(initial=typed, **kwargs), terms, True


def _form_context(form, patient, **extra):
    grade_errors = form.errors.get("grade", []) if form.is_bound else []
    return {
        "patient": patient,
        "form": form,
        "picked": term_block(form),
        "needs_death": services.GRADE_5_NEEDS_DEATH in grade_errors,
        "min_query": MIN_QUERY,
        **extra,
    }


def _render_form(request, context):
    return render_form(request, "adverse_events/ae_form.html", context)


def _blocked(patient):
    return None if patient.is_followed else services.NOT_REGISTERED


def _form_kwargs(user, patient):
    return {
        "courses": courses_for(user, patient=patient),
        "drugs": selectors.received_study_drugs(patient),
        "version": selectors.current_version(),
    }


@login_required
@permission_required("adverse_events.add_adverseevent", raise_exception=True)
def ae_new(request, patient_pk):
    patient = patient_get(request.user, patient_pk)
    form, terms, searched = _ae_form(
        request,
        AdverseEventForm,
        initial={"onset_date": timezone.localdate()},
        **_form_kwargs(request.user, patient),
    )
    ae = submit(
        form,
        lambda _data: services.adverse_event_report(actor=request.user, patient=patient, **form.service_arguments()),
    )
    if ae is not None:
        messages.success(request, f"Adverse event reported: {ae.term.term}, grade {ae.grade}.")
        return redirect("adverse_events:patient-aes", patient_pk=patient.pk)
    context = _form_context(form, patient, terms=terms, searched=searched, blocked=_blocked(patient))
    return _render_form(request, context)


def _initial_of(ae) -> dict:
    initial = {name: getattr(ae, name) for name in services.AE_FIELDS}
    initial["term"] = ae.term_id
    initial["course"] = ae.course_id
    for a in ae.attributions.all():
        initial[ATTRIBUTION_PREFIX + a.drug.code] = a.attribution
    if ae.sae_aware_at:
        initial["sae_aware_at"] = timezone.localtime(ae.sae_aware_at)
    return initial


def _edited(ae, form) -> dict:
    """The form's values for the update; a time shown to the minute that was not changed keeps its saved seconds
    (otherwise an untouched awareness time would count as a changed value needing a reason)."""
    values = form.service_arguments()
    aware = values.get("sae_aware_at")
    if aware and ae.sae_aware_at and aware == ae.sae_aware_at.replace(second=0, microsecond=0):
        values.pop("sae_aware_at")
    return values


@login_required
@permission_required("adverse_events.change_adverseevent", raise_exception=True)
def ae_edit(request, pk):
    ae = selectors.ae_get(request.user, pk)
    patient = ae.patient
    kwargs = _form_kwargs(request.user, patient)
    attributed = {a.drug for a in ae.attributions.all()}
    kwargs["drugs"] = sorted(set(kwargs["drugs"]) | attributed, key=lambda d: d.name)
    form, terms, searched = _ae_form(request, AdverseEventEditForm, initial=_initial_of(ae), **kwargs)
    saved = submit(
        form,
        lambda data: services.adverse_event_update(
            actor=request.user, ae=ae, reason=data["reason"], **_edited(ae, form)
        ),
    )
    if saved is not None:
        messages.success(request, "Adverse event saved; earlier values stay in its audit trail.")
        return redirect("adverse_events:ae-detail", pk=ae.pk)
    context = _form_context(form, patient, ae=ae, terms=terms, searched=searched)
    return _render_form(request, context)


@login_required
@permission_required("adverse_events.view_ctcaeterm", raise_exception=True)
def term_search(request):
    """The type-ahead results: terms matching the query by term, MedDRA code or system organ class."""
    query = request.GET.get("q", "").strip()
    terms = list(selectors.term_search(query)) if len(query) >= MIN_QUERY else []
    return render(
        request,
        "adverse_events/_term_results.html",
        {"terms": terms, "query": query, "searched": len(query) >= MIN_QUERY, "min_query": MIN_QUERY},
    )


@login_required
@permission_required("adverse_events.view_ctcaeterm", raise_exception=True)
def term_grades(request, pk):
    """The term block for a picked term: its grades (only those it defines, with its texts) and the verbatim;
    a grade or verbatim typed before stays."""
    term = get_object_or_404(CTCAETerm.objects.filter(version=selectors.current_version()), pk=pk)
    initial = {"term": term.pk, "grade": request.GET.get("grade", ""), "verbatim": request.GET.get("verbatim", "")}
    form = TermGradeForm(initial=initial)
    return render(request, "adverse_events/_term_picked.html", {"picked": term_block(form)})


# ---------------------------------------------------------------------------------------------
# An AE's page, the SAE report, the patient's AEs
# ---------------------------------------------------------------------------------------------


def _detail(request, ae, *, sae_form=None, status=200):
    row = selectors.ae_row(ae)
    return render(
        request,
        "adverse_events/ae_detail.html",
        {
            "ae": ae,
            "row": row,
            "patient": ae.patient,
            "grade_text": ae.term.grade_text(ae.grade),
            "sae_criteria": [SAECriterion(code).label for code in ae.sae_criteria if code in SAECriterion.values],
            "sae_form": sae_form or SAEReportForm(initial={"sae_reported_at": timezone.localtime().replace(second=0)}),
            "signatures": signatures_for(ae),
            "sign_form": SignatureForm(),
            "record_label": ae._meta.label_lower,
            "record": ae,
        },
        status=status,
    )


@login_required
@permission_required("adverse_events.view_adverseevent", raise_exception=True)
def ae_detail(request, pk):
    return _detail(request, selectors.ae_get(request.user, pk))


@login_required
@permission_required("adverse_events.change_adverseevent", raise_exception=True)
@require_POST
def sae_report(request, pk):
    """Record that the expedited SAE report was submitted (stops the expedited-report clock)."""
    ae = selectors.ae_get(request.user, pk)
    form = SAEReportForm(request.POST)
    submitted = submit(
        form,
        lambda data: services.sae_report_submit(actor=request.user, ae=ae, reported_at=data["sae_reported_at"]),
        record=ae,
    )
    if submitted is not None:
        messages.success(request, "Expedited SAE report recorded as submitted.")
        return redirect("adverse_events:ae-detail", pk=ae.pk)
    return _detail(request, ae, sae_form=form, status=400)


@login_required
@permission_required("adverse_events.view_adverseevent", raise_exception=True)
def patient_aes(request, patient_pk):
    patient = patient_get(request.user, patient_pk)
    return render(
        request,
        "adverse_events/patient_aes.html",
        {
            "patient": patient,
            "rows": selectors.patient_aes(request.user, patient),
            "proposals": list(selectors.open_lab_proposals(request.user, patient)),
            "can_record": patient.is_followed,
        },
    )


# ---------------------------------------------------------------------------------------------
# Site AE log
# ---------------------------------------------------------------------------------------------


def _socs():
    version = selectors.current_version()
    return list(CTCAETerm.objects.filter(version=version).order_by("soc").values_list("soc", flat=True).distinct())


@login_required
@permission_required("adverse_events.view_adverseevent", raise_exception=True)
def log(request):
    form = AELogFilterForm(request.GET or None, socs=_socs())
    filters = form.filters() if form.is_bound else {}
    rows = selectors.site_ae_log(request.user, **filters)
    page, query = paginate(request, rows, LOG_PAGE_SIZE)
    return render(
        request,
        "adverse_events/log.html",
        {
            "form": form,
            "rows": page.object_list,
            "page": page,
            "total": len(rows),
            "filtered": bool(filters),
            "query": query,
        },
    )


# ---------------------------------------------------------------------------------------------
# Lab values and the AEs they propose
# ---------------------------------------------------------------------------------------------


def _grade_message(result) -> str:
    text = f"{result.lab_test_name} {plain_number(result.value)} {result.unit}".strip()
    if result.grade is None:
        return f"{text}: not gradable with the values given (the normal range or baseline is missing)."
    if result.grade == 0:
        return f"{text}: within CTCAE grade 0 (not an adverse event)."
    message = f"{text}: CTCAE grade {result.grade} ({result.lab_term})."
    if result.proposal_status == LabProposalStatus.PROPOSED:
        message += " An adverse event is proposed: confirm or dismiss it."
    return message


@login_required
@permission_required("adverse_events.add_labresult", raise_exception=True)
def lab_new(request, patient_pk):
    patient = patient_get(request.user, patient_pk)
    system = request.POST.get("unit_system") or request.GET.get("units") or UnitSystem.SI
    if system not in UnitSystem.values:
        system = UnitSystem.SI
    tests = selectors.lab_test_options(system)
    form = LabResultForm(
        request.POST or None, tests=tests, initial={"collected_on": timezone.localdate(), "unit_system": system}
    )
    result = submit(form, lambda data: services.lab_result_record(actor=request.user, patient=patient, **data))
    if result is not None:
        level = messages.WARNING if result.proposal_status == LabProposalStatus.PROPOSED else messages.SUCCESS
        messages.add_message(request, level, _grade_message(result))
        return redirect(f"{_labs_url(patient)}#lab-{result.pk}")
    return render_form(
        request,
        "adverse_events/lab_form.html",
        {
            "patient": patient,
            "form": form,
            "system": system,
            "other_system": UnitSystem.US if system == UnitSystem.SI else UnitSystem.SI,
            "blocked": _blocked(patient),
        },
    )


def _labs_url(patient):
    return reverse("adverse_events:patient-labs", args=[patient.pk])


@login_required
@permission_required("adverse_events.view_labresult", raise_exception=True)
def patient_labs(request, patient_pk):
    patient = patient_get(request.user, patient_pk)
    results = selectors.lab_results_for(request.user).filter(patient=patient).order_by("-collected_on", "-id")
    return render(
        request,
        "adverse_events/patient_labs.html",
        {"patient": patient, "results": results, "can_record": patient.is_followed},
    )


def _open_proposal(request, pk):
    result = selectors.lab_result_get(request.user, pk)
    if result.proposal_status != LabProposalStatus.PROPOSED:
        messages.info(request, services.NOT_PROPOSED)
        return result, redirect(_labs_url(result.patient))
    return result, None


def _lab_ctcae_term(result):
    return next(
        (t.ctcae_term_id for t in lab_tests() if (t.lab_term, t.unit_system) == (result.lab_term, result.unit_system)),
        None,
    )


@login_required
@permission_required("adverse_events.add_adverseevent", raise_exception=True)
@permission_required("adverse_events.change_labresult", raise_exception=True)
def lab_confirm(request, pk):
    """The AE form prefilled from a lab value's proposal (term, grade, onset); the nurse adds the rest."""
    result, done = _open_proposal(request, pk)
    if done:
        return done
    patient = result.patient
    initial = {"term": _lab_ctcae_term(result), "grade": result.grade, "onset_date": result.collected_on}
    form, terms, searched = _ae_form(request, AdverseEventForm, initial=initial, **_form_kwargs(request.user, patient))
    ae = submit(
        form,
        lambda _data: services.lab_proposal_confirm(actor=request.user, lab_result=result, **form.service_arguments()),
        record=result,
    )
    if ae is not None:
        messages.success(request, f"Adverse event reported from the lab value: {ae.term.term}, grade {ae.grade}.")
        return redirect("adverse_events:patient-aes", patient_pk=patient.pk)
    context = _form_context(form, patient, lab=result, terms=terms, searched=searched, blocked=_blocked(patient))
    return _render_form(request, context)


@login_required
@permission_required("adverse_events.change_labresult", raise_exception=True)
def lab_dismiss(request, pk):
    result, done = _open_proposal(request, pk)
    if done:
        return done
    form = LabDismissForm(request.POST or None)
    dismissed = submit(
        form,
        lambda data: services.lab_proposal_dismiss(actor=request.user, lab_result=result, reason=data["reason"]),
        record=result,
    )
    if dismissed is not None:
        messages.success(request, "Proposal dismissed; the lab value and the reason stay on record.")
        return redirect(_labs_url(result.patient))
    return render_form(
        request, "adverse_events/lab_dismiss.html", {"patient": result.patient, "result": result, "form": form}
    )
