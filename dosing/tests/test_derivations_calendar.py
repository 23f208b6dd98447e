"""The course calendar's pure derivations, on plain objects (no database)."""

from datetime import date
from decimal import Decimal
from types import SimpleNamespace

from dosing.derivations.calendar import (
    GIVEN,
    OVERDUE,
    PLANNED,
    REDUCED,
    administration_state,
    course_calendar,
    course_summary,
    reduction_percent,
)

START = date(2024, 1, 3)


def drug(pk, name):
    return SimpleNamespace(pk=pk, name=name)


def item(pk, *, dose=None, unit="mg", role="chemotherapy", frequency="once_daily", route="IV", alternatives=None):
    return SimpleNamespace(
        pk=pk,
        dose_amount=None if dose is None else Decimal(dose),
        dose_unit=unit,
        role=role,
        frequency=frequency,
        route=route,
        alternatives=alternatives or [],
    )


def dose(the_drug, the_item, day, *, planned=None, per_m2=None, status="pending", given=None, **extra):
    values = {
        "drug": the_drug,
        "drug_id": the_drug.pk,
        "regimen_item": the_item,
        "regimen_item_id": the_item.pk,
        "day": day,
        "last_day": None,
        "dose_number": 1,
        "doses_per_day": 1,
        "planned_date": date.fromordinal(START.toordinal() + day - 1),
        "planned_dose": None if planned is None else Decimal(planned),
        "dose_unit": "mg" if planned is not None else "",
        "dose_per_m2": None if per_m2 is None else Decimal(per_m2),
        "route": the_item.route,
        "route_given": "",
        "status": status,
        "dose_given": None if given is None else Decimal(given),
        "reduction_percent": None,
        "deviation_reason": "",
        "hold_days": [],
    }
    values.update(extra)
    return SimpleNamespace(**values)


CYCLO, CYCLO_ITEM = drug(1, "Cyclophosphamide"), item(1, dose="150", unit="mg/m2", frequency="q12h")


def test_a_rest_of_course_reduction_counts_once_for_the_first_and_the_later_doses():
    first = dose(CYCLO, CYCLO_ITEM, 1, planned="273", per_m2="150", status="given", given="136.5")
    first.reduction_percent = Decimal("50")
    later = dose(CYCLO, CYCLO_ITEM, 2, planned="136.5", per_m2="75", status="given", given="136.5")
    later.reduction_percent = Decimal("50")
    as_planned = dose(CYCLO, CYCLO_ITEM, 3, planned="273", per_m2="150", status="given", given="273")
    assert [reduction_percent(a) for a in (first, later, as_planned)] == [Decimal(50), Decimal(50), None]
    assert [administration_state(a, START) for a in (first, later, as_planned)] == [REDUCED, REDUCED, GIVEN]


def test_a_listed_alternative_is_not_a_reduction():
    methotrexate = drug(2, "Methotrexate")
    it_item = item(2, dose="12", route="IT", alternatives=[{"dose_amount": 6, "route": "OMMAYA"}])
    ommaya = dose(methotrexate, it_item, 2, planned="12", status="given", given="6", route_given="OMMAYA")
    halved = dose(methotrexate, it_item, 2, planned="12", status="given", given="6", route_given="IT")
    assert reduction_percent(ommaya) is None and reduction_percent(halved) == Decimal(50)


def test_pending_doses_before_today_are_overdue():
    pending = dose(CYCLO, CYCLO_ITEM, 2, planned="273", per_m2="150")
    assert administration_state(pending, date(2024, 1, 4)) == PLANNED
    assert administration_state(pending, date(2024, 1, 5)) == OVERDUE


def test_calendar_splits_a_period_at_its_hold_days_and_keeps_one_column_per_day():
    azole, azole_item = drug(3, "Voriconazole"), item(3, role="supportive", frequency="as_indicated", route="PO")
    period = dose(azole, azole_item, 1, last_day=28, hold_days=[1, 2, 7, 8, 9])
    vincristine = dose(drug(4, "Vincristine"), item(4, dose="2"), 8, planned="2")
    course = SimpleNamespace(start_date=START, course_type=SimpleNamespace(length_days=28))

    calendar = course_calendar(course, [period, vincristine], today=date(2024, 1, 11))

    assert [g.label for g in calendar.groups] == ["Chemotherapy", "Supportive care"]
    (azole_row,) = calendar.groups[1].rows
    (lane,) = azole_row.lanes
    assert [(c.kind, c.first_day, c.colspan) for c in lane] == [
        ("hold", 1, 2),
        ("period", 3, 4),
        ("hold", 7, 3),
        ("period", 10, 19),
    ]
    (vincristine_lane,) = calendar.groups[0].rows[0].lanes
    assert sum(c.colspan for c in vincristine_lane) == 28 and vincristine_lane[7].kind == "dose"
    assert vincristine_lane[7].entries[0].word == "late"
    assert [d.is_today for d in calendar.days].index(True) == 8  # day 9


def test_overlapping_periods_of_one_drug_get_separate_lanes():
    blin, blin_item = drug(5, "Blinatumomab"), item(5, dose="28", unit="ug/day", frequency="continuous", route="CIV")
    whole = dose(blin, blin_item, 1, planned="28", last_day=28)
    extra = dose(blin, item(6, dose="9", unit="ug/day", route="CIV"), 5, planned="9")
    course = SimpleNamespace(start_date=START, course_type=SimpleNamespace(length_days=42))

    (row,) = course_calendar(course, [whole, extra], today=START).groups[0].rows

    assert len(row.lanes) == 2
    assert [sum(c.colspan for c in lane) for lane in row.lanes] == [42, 42]


def test_summary_counts_doses_by_state_and_totals_single_doses():
    given = dose(CYCLO, CYCLO_ITEM, 1, planned="273", per_m2="150", status="given", given="136.5")
    held = dose(CYCLO, CYCLO_ITEM, 2, planned="273", per_m2="150", status="held")
    pending = dose(CYCLO, CYCLO_ITEM, 3, planned="273", per_m2="150")
    (summary,) = course_summary([given, held, pending], today=date(2024, 1, 10))
    assert (summary.planned, summary.given, summary.reduced, summary.held, summary.pending, summary.overdue) == (
        3,
        1,
        1,
        1,
        1,
        1,
    )
    assert (summary.planned_total, summary.given_total) == (Decimal("819"), Decimal("136.5"))
