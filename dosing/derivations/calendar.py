"""The course calendar and summary as a nurse reads them: drugs down, course days across, each dose's state.

Pure functions over a course's administrations already loaded (``selectors.course_get`` prefetches
them with their drug and regimen item), so building a calendar costs no queries.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from core.formatting import plain_number
from trial.choices import DoseUnit, Frequency, RegimenRole

from ..choices import AdministrationStatus, DoseAmountUnit

PLANNED, OVERDUE, AS_NEEDED = "planned", "overdue", "as-needed"
GIVEN, REDUCED, HELD, OMITTED = "given", "reduced", "held", "omitted"
PROTOCOL_HOLD = "hold"

# Each state's colour class comes with a visible word (colour is never the only cue) and a legend line.
STATE_WORDS = {
    PLANNED: "plan",
    OVERDUE: "late",
    AS_NEEDED: "prn",
    GIVEN: "given",
    REDUCED: "−%",
    HELD: "held",
    OMITTED: "omit",
    PROTOCOL_HOLD: "hold",
}
STATE_LABELS = {
    PLANNED: "planned",
    OVERDUE: "overdue",
    AS_NEEDED: "as indicated",
    GIVEN: "given",
    REDUCED: "given, reduced",
    HELD: "held",
    OMITTED: "omitted",
}
LEGEND = [
    (PLANNED, "plan", "Planned, not yet due"),
    (OVERDUE, "late", "Planned before today and not recorded (overdue)"),
    (GIVEN, "given", "Given as planned"),
    (REDUCED, "−50%", "Given at a reduced dose (the reduction is shown)"),
    (HELD, "held", "Held (with a reason)"),
    (OMITTED, "omit", "Omitted (with a reason)"),
    (PROTOCOL_HOLD, "hold", "Protocol hold day (e.g. azole around vincristine)"),
    (AS_NEEDED, "prn", "Given as clinically indicated (not recorded dose by dose)"),
]
UNIT_TEXT = {
    DoseUnit.MG_PER_M2: "mg/m²",
    DoseUnit.G_PER_M2: "g/m²",
    DoseUnit.MG: "mg",
    DoseUnit.UG_PER_DAY: "µg/day",
}
ABSOLUTE_UNIT_TEXT = dict(DoseAmountUnit.choices)
ROLE_ORDER = {role: index for index, role in enumerate(RegimenRole.values)}
# The calendar row (and summary line) of doses the plan did not hold; it comes after every regimen role.
UNPLANNED_ROLE = "unplanned"


def role_of(administration) -> str:
    """The regimen role of a dose's row, or :data:`UNPLANNED_ROLE` for an unplanned dose."""
    return administration.regimen_item.role if administration.regimen_item_id else UNPLANNED_ROLE


def dose_text(value) -> str:
    """273.0000 → "273", 1.0900 → "1.09": a dose as written on a chart."""
    if value is None or value == "":
        return ""
    return plain_number(value)


def role_label(role: str) -> str:
    if role == UNPLANNED_ROLE:
        return "Not in the plan"
    return RegimenRole(role).label if role in RegimenRole.values else role


def is_recorded_one_by_one(administration) -> bool:
    """Whether the dose is on the nurse's worklist: single doses and dosed periods (not "as indicated")."""
    return administration.planned_dose is not None or administration.last_day is None


def reduction_percent(administration) -> Decimal | None:
    """How far below the protocol's dose a given dose was, in percent (a rest-of-course reduction included).

    Measured against the regimen item's dose (per m² for BSA-scaled drugs, so a later re-planning from a
    new weight does not count as a reduction); a dose given as one of the item's listed alternatives
    (e.g. 6 mg methotrexate via Ommaya instead of 12 mg intrathecal) is not a reduction.
    """
    a = administration
    item = a.regimen_item
    if (
        item is None
        or a.status != AdministrationStatus.GIVEN
        or a.dose_given is None
        or not a.planned_dose
        or not item.dose_amount
    ):
        return None
    for alternative in item.alternatives or []:
        amount = alternative.get("dose_amount")
        if alternative.get("route") == a.route_given and amount is not None and Decimal(str(amount)) == a.dose_given:
            return None
    if a.dose_per_m2 is not None:
        fraction = a.dose_per_m2 * a.dose_given / a.planned_dose / item.dose_amount
    else:
        fraction = a.dose_given / item.dose_amount
    percent = ((1 - fraction) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return percent if percent > 0 else None


def administration_state(administration, today: date) -> str:
    """planned, overdue, as-needed, given, reduced, held or omitted."""
    a = administration
    if a.status == AdministrationStatus.GIVEN:
        return REDUCED if reduction_percent(a) else GIVEN
    if a.status == AdministrationStatus.HELD:
        return HELD
    if a.status == AdministrationStatus.OMITTED:
        return OMITTED
    if not is_recorded_one_by_one(a):
        return AS_NEEDED
    return OVERDUE if a.planned_date < today else PLANNED


def span_text(administration) -> str:
    a = administration
    return f"days {a.day}–{a.last_day}" if a.last_day else f"day {a.day}"


@dataclass
class CalendarEntry:
    """One administration in a calendar cell: what to show, in words as well as colour."""

    administration: object
    state: str
    dose: str
    word: str
    description: str

    @property
    def is_pending(self):
        return self.administration.status == AdministrationStatus.PENDING

    @property
    def label(self):
        return STATE_LABELS[self.state]


def calendar_entry(administration, today: date) -> CalendarEntry:
    a = administration
    state = administration_state(a, today)
    unit = ABSOLUTE_UNIT_TEXT.get(a.dose_unit, a.dose_unit)
    planned = f"{dose_text(a.planned_dose)} {unit}".strip() if a.planned_dose is not None else "as indicated"
    word = STATE_WORDS[state]
    shown = a.planned_dose
    parts = [f"{a.drug.name} {span_text(a)}"]
    if a.doses_per_day > 1 and a.last_day is None:
        parts[0] += f", dose {a.dose_number} of {a.doses_per_day}"
    if state == REDUCED:
        percent = reduction_percent(a)
        word = f"−{percent}%"
        shown = a.dose_given
        parts.append(f"given {dose_text(a.dose_given)} {unit}, reduced by {percent}% (planned {planned})")
    elif state == GIVEN:
        shown = a.dose_given if a.dose_given is not None else a.planned_dose
        parts.append(f"given {dose_text(shown)} {unit}".rstrip() if shown is not None else "given")
    elif state in (HELD, OMITTED):
        parts.append(f"{state} (planned {planned})")
    else:
        label = {PLANNED: "planned", OVERDUE: "overdue, not recorded", AS_NEEDED: "as clinically indicated"}[state]
        parts.append(f"{label}: {planned} {a.route}")
        if a.reduction_percent:
            parts.append(f"plan reduced by {dose_text(a.reduction_percent)}%")
    if a.deviation_reason:
        parts.append(f"reason: {a.deviation_reason}")
    return CalendarEntry(a, state, dose_text(shown), word, " — ".join(parts))


@dataclass
class CalendarCell:
    first_day: int
    colspan: int = 1
    kind: str = "empty"  # empty, dose, period, hold
    entries: list[CalendarEntry] = field(default_factory=list)
    is_today: bool = False

    @property
    def state(self):
        """The colour of the cell: its entries' state when they agree, else the most pressing one."""
        if self.kind == "hold":
            return PROTOCOL_HOLD
        states = [e.state for e in self.entries]
        for state in (OVERDUE, HELD, OMITTED, REDUCED, PLANNED, GIVEN, AS_NEEDED):
            if state in states:
                return state
        return ""


@dataclass
class CalendarRow:
    drug: object
    role: str
    regimen: str
    unit: str
    lanes: list[list[CalendarCell]]


@dataclass
class CalendarGroup:
    role: str
    label: str
    rows: list[CalendarRow]


@dataclass
class CalendarDay:
    number: int
    date: date
    is_today: bool


@dataclass
class CourseCalendar:
    days: list[CalendarDay]
    groups: list[CalendarGroup]
    legend: list = field(default_factory=lambda: LEGEND)

    @property
    def column_count(self):
        return len(self.days) + 1


def _regimen_text(items) -> str:
    """What the regimen plans for the row, e.g. "0.6, 0.3 mg/m² IV" or "150 mg/m² IV, every 12 hours"."""
    amounts: dict[str, list[str]] = {}
    routes, frequencies = [], []
    for item in items:
        if item.dose_amount is not None:
            unit = UNIT_TEXT.get(item.dose_unit, item.dose_unit)
            amounts.setdefault(unit, [])
            if dose_text(item.dose_amount) not in amounts[unit]:
                amounts[unit].append(dose_text(item.dose_amount))
        if item.route not in routes:
            routes.append(item.route)
        if item.frequency != Frequency.ONCE_DAILY:
            label = Frequency(item.frequency).label.lower()
            if label not in frequencies:
                frequencies.append(label)
    dose = " · ".join(f"{', '.join(values)} {unit}" for unit, values in amounts.items())
    text = " ".join(part for part in (dose, "/".join(routes)) if part)
    return ", ".join([text, *frequencies]) if frequencies else text


def _lanes(entries: list[CalendarEntry]) -> list[list[CalendarEntry]]:
    """Split a drug's entries into lanes so that no period overlaps another dose in the same lane."""
    lanes: list[tuple[set[int], set[int], list[CalendarEntry]]] = []  # (period days, dose days, entries)
    for entry in entries:
        a = entry.administration
        days = set(range(a.day, (a.last_day or a.day) + 1))
        is_period = a.last_day is not None
        for period_days, dose_days, lane in lanes:
            clash = days & period_days or (is_period and days & dose_days)
            if not clash:
                (period_days if is_period else dose_days).update(days)
                lane.append(entry)
                break
        else:
            lanes.append((days if is_period else set(), set() if is_period else days, [entry]))
    return [lane for _p, _d, lane in lanes]


def _lane_cells(lane: list[CalendarEntry], length: int, today_day: int | None) -> list[CalendarCell]:
    periods = {e.administration.day: e for e in lane if e.administration.last_day is not None}
    doses: dict[int, list[CalendarEntry]] = defaultdict(list)
    for entry in lane:
        if entry.administration.last_day is None:
            doses[entry.administration.day].append(entry)
    cells: list[CalendarCell] = []
    day = 1
    while day <= length:
        if day in periods:
            entry = periods[day]
            a = entry.administration
            holds = set(a.hold_days or [])
            run_start = day
            while run_start <= a.last_day:
                held = run_start in holds
                run_end = run_start
                while run_end + 1 <= a.last_day and ((run_end + 1) in holds) == held:
                    run_end += 1
                cells.append(
                    CalendarCell(
                        first_day=run_start,
                        colspan=run_end - run_start + 1,
                        kind="hold" if held else "period",
                        entries=[] if held else [entry],
                        is_today=run_start == run_end == today_day,
                    )
                )
                run_start = run_end + 1
            day = a.last_day + 1
        elif day in doses:
            entries = sorted(doses[day], key=lambda e: e.administration.dose_number)
            cells.append(CalendarCell(first_day=day, kind="dose", entries=entries, is_today=day == today_day))
            day += 1
        else:
            cells.append(CalendarCell(first_day=day, is_today=day == today_day))
            day += 1
    return cells


def course_calendar(course, administrations, *, today: date) -> CourseCalendar:
    """The calendar of one course: a row per drug (grouped by regimen role), a column per course day."""
    administrations = list(administrations)
    length = max([course.course_type.length_days, *[a.last_day or a.day for a in administrations]])
    today_day = (today - course.start_date).days + 1
    if not 1 <= today_day <= length:
        today_day = None
    days = [CalendarDay(n, course.start_date + timedelta(days=n - 1), n == today_day) for n in range(1, length + 1)]
    by_row: dict[tuple[str, int], list] = defaultdict(list)
    for a in administrations:
        by_row[role_of(a), a.drug_id].append(a)
    rows_by_role: dict[str, list[CalendarRow]] = defaultdict(list)
    for (role, _drug_id), row_administrations in by_row.items():
        row_administrations.sort(key=lambda a: (a.day, a.dose_number))
        items = list({a.regimen_item_id: a.regimen_item for a in row_administrations if a.regimen_item_id}.values())
        entries = [calendar_entry(a, today) for a in row_administrations]
        units = []
        for a in row_administrations:
            text = ABSOLUTE_UNIT_TEXT.get(a.dose_unit, a.dose_unit)
            if text and text not in units:
                units.append(text)
        rows_by_role[role].append(
            CalendarRow(
                drug=row_administrations[0].drug,
                role=role,
                regimen=_regimen_text(items) if items else "not in the plan",
                unit=", ".join(units),
                lanes=[_lane_cells(lane, length, today_day) for lane in _lanes(entries)],
            )
        )
    groups = []
    for role in sorted(rows_by_role, key=lambda r: ROLE_ORDER.get(r, len(ROLE_ORDER))):
        rows = sorted(
            rows_by_role[role], key=lambda r: (min(e.first_day for e in r.lanes[0] if e.kind != "empty"), r.drug.name)
        )
        groups.append(CalendarGroup(role, role_label(role), rows))
    return CourseCalendar(days=days, groups=groups)


@dataclass
class DrugSummary:
    """A course's doses of one drug: how many were given, reduced, held, omitted or are still to record."""

    drug: object
    role: str
    unit: str
    planned: int = 0
    given: int = 0
    reduced: int = 0
    held: int = 0
    omitted: int = 0
    pending: int = 0
    overdue: int = 0
    planned_total: Decimal | None = None
    given_total: Decimal | None = None

    @property
    def role_label(self):
        return role_label(self.role)


def course_summary(administrations, *, today: date) -> list[DrugSummary]:
    """Per drug of the course, in calendar order: dose counts by state and, for single doses, the
    total planned (as now planned, after reductions) and the total given, in the dose's unit."""
    summaries: dict[tuple[str, int], DrugSummary] = {}
    for a in sorted(administrations, key=lambda a: (ROLE_ORDER.get(role_of(a), 99), a.day, a.drug.name)):
        key = (role_of(a), a.drug_id)
        if key not in summaries:
            summaries[key] = DrugSummary(a.drug, role_of(a), ABSOLUTE_UNIT_TEXT.get(a.dose_unit, a.dose_unit))
        s = summaries[key]
        s.planned += 1
        state = administration_state(a, today)
        if state in (GIVEN, REDUCED):
            s.given += 1
            s.reduced += state == REDUCED
        elif state == HELD:
            s.held += 1
        elif state == OMITTED:
            s.omitted += 1
        else:
            s.pending += 1
            s.overdue += state == OVERDUE
        if a.last_day is None and a.planned_dose is not None:
            s.planned_total = (s.planned_total or Decimal(0)) + a.planned_dose
            if a.status == AdministrationStatus.GIVEN and a.dose_given is not None:
                s.given_total = (s.given_total or Decimal(0)) + a.dose_given
    return list(summaries.values())


def course_deviations(administrations) -> list:
    """Recorded doses that differ from the plan (held, omitted, reduced, other dose, route or date), with reasons."""
    return [
        a
        for a in administrations
        if a.status != AdministrationStatus.PENDING and (a.deviation_reason or a.reduction_percent)
    ]
