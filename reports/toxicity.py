"""Table 3 of the paper over a :class:`~reports.selectors.Cohort`: grade 3–5 non-haematologic toxicity per CTCAE term.

Each patient counts once per term, at the worst grade (:func:`adverse_events.selectors.worst_non_haematologic_grades`),
from the adverse events with onset on or before the data cut-off; the denominator of every cell is the group's
patients (the same N as Tables 1 and 2). Two queries besides the cohort's, whatever the number of patients or AEs.
"""

from __future__ import annotations

from dataclasses import dataclass

from adverse_events.selectors import worst_non_haematologic_grades

from . import statistics
from .selectors import Cohort, CohortSummary

GRADES = (3, 4, 5)
GRADES_AND_TOTAL = ("grade_3", "grade_4", "grade_5", "total")
DENOMINATOR = "patients"


@dataclass(frozen=True)
class Table3Cell:
    """One group's patients with the term at each worst grade, and at grade 3 or worse (total)."""

    grade_3: statistics.Proportion
    grade_4: statistics.Proportion
    grade_5: statistics.Proportion
    total: statistics.Proportion

    @property
    def grades(self) -> list[statistics.Proportion]:
        return [self.grade_3, self.grade_4, self.grade_5]


@dataclass(frozen=True)
class Table3Row:
    term: str
    soc: str
    meddra_code: str
    cells: list[Table3Cell]  # one per group, in the order of the cohort's groups
    comparison: statistics.TestResult  # of the totals between the protocol versions


@dataclass(frozen=True)
class Table3:
    cohort: CohortSummary
    rows: list[Table3Row]
    denominator: str = DENOMINATOR

    @property
    def columns(self) -> int:
        """Columns of the printed table: the term, four per group, p."""
        return 2 + len(GRADES_AND_TOTAL) * len(self.cohort.groups)


def table3(cohort: Cohort, *, user) -> Table3:
    """Grade 3–5 non-haematologic toxicity per term: n/N (%) with the exact 95% CI at worst grade 3, 4 and 5 and in
    total, by all and by protocol version, with the versions' comparison of the totals (Fisher exact for two).
    Most frequent term first (patients in total), then by term."""
    members = [{o.patient.pk for o in group.outcomes} for group in cohort.groups]
    worst = worst_non_haematologic_grades(user, members[0], min_grade=min(GRADES), onset_by=cohort.filters.cutoff)
    # counts[term id][group index][grade]: patients whose worst grade of the term is that grade
    counts: dict[int, list[dict[int, int]]] = {}
    terms = {}
    for w in worst:
        terms[w.term.pk] = w.term
        by_group = counts.setdefault(w.term.pk, [dict.fromkeys(GRADES, 0) for _ in cohort.groups])
        for i, ids in enumerate(members):
            if w.patient_id in ids:
                by_group[i][w.grade] += 1
    rows = []
    for term_id, by_group in counts.items():
        cells = [
            Table3Cell(
                *(statistics.proportion(n[grade], group.n) for grade in GRADES),
                total=statistics.proportion(sum(n.values()), group.n),
            )
            for group, n in zip(cohort.groups, by_group, strict=True)
        ]
        comparison = statistics.compare_proportions([(c.total.n, c.total.total) for c in cells[1:]])
        term = terms[term_id]
        rows.append(Table3Row(term.term, term.soc, term.meddra_code, cells, comparison))
    rows.sort(key=lambda r: (-r.cells[0].total.n, r.term))
    return Table3(cohort.summary(), rows)
