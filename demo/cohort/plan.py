"""The reference cohort: a synthetic plan of the trial's 110 patients (pure: no database).

:func:`build_plan` turns a seed into one :class:`PatientPlan` per patient: registration, baseline,
course start dates, bone-marrow evaluations, transplant, follow-up contacts, off study and death.
The command ``manage.py reference_cohort`` enters every plan through the services
(:mod:`demo.cohort.enter`), so the cohort is audited and its responses and endpoints are derived
exactly as for real patients.

What is fixed (the paper's figures, :mod:`demo.cohort.figures`): 67 patients on the original version
and 43 on the amended one, registered in the accrual window; per version the best responses of
Table 2, MRD by flow at response and at any time, early deaths, allogeneic SCT and the fatal SOS
cases. What is drawn from the seed only has to be plausible: the baseline (drawn to the per-version
counts of Table 1 where the paper gives them), dates, counts and survival.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import date, timedelta
from decimal import Decimal

from .figures import (
    ACCRUAL_END,
    ACCRUAL_START,
    ALIVE_IN_CR,
    AMENDED,
    AMENDMENT_DATE,
    CONDITIONING,
    CR,
    CRI,
    CRP,
    DATA_CUT_OFF,
    DEATH_IN_CR_CAUSES,
    DONORS,
    EARLY_DEATH,
    EARLY_DEATHS,
    FRONTLINE,
    FRONTLINE_OTHER,
    LATE_RESPONDERS,
    MRD_CLASSES,
    MRD_CONVERTS,
    MRD_NEGATIVE_LATER,
    MRD_NEVER,
    MRD_PERSISTENT,
    NO_RESPONSE,
    NO_RESPONSE_ALIVE,
    NO_SCT_OUTCOMES,
    NON_RELAPSE_DEATH,
    NORMAL_KARYOTYPES,
    ORIGINAL,
    RELAPSE_ALIVE,
    RELAPSE_DEAD,
    RESPONSES,
    SCT_OUTCOMES,
    SOS_CONDITIONING,
    SOS_FATAL,
    SOS_NON_FATAL,
    TABLE_1,
    TABLE_2,
    TRANSPLANT_DEATH_CAUSES,
    URSODIOL_DATE,
    VERSIONS,
)
from .records import EventPlan, MarrowPlan, PatientPlan, TransplantPlan

SEED = 6  # any seed gives Table 2; this one also gives a median OS close to the paper's 17 months


def _deck(rng: random.Random, counts: dict, size: int) -> list:
    deck = [value for value, count in counts.items() for _ in range(count)]
    if len(deck) != size:
        raise ValueError(f"{counts} adds up to {len(deck)}, not {size}")
    rng.shuffle(deck)
    return deck


def _flags(rng: random.Random, count: int, size: int) -> list[bool]:
    return _deck(rng, {True: count, False: size - count}, size)


def _d(value: float, places: str = "0.1") -> Decimal:
    return Decimal(str(value)).quantize(Decimal(places))


def _spread(rng: random.Random, first: date, last: date, count: int) -> list[date]:
    """``count`` dates from ``first`` to ``last`` (both included), evenly spread with a little jitter."""
    span = (last - first).days
    days = [0, span]
    for i in range(1, count - 1):
        days.append(min(span - 1, max(1, round(span * i / (count - 1)) + rng.randint(-12, 12))))
    return [first + timedelta(days=d) for d in sorted(days)]


class _Planner:
    def __init__(self, seed: int, cycle_days: dict[str, list[int]]):
        self.rng = random.Random(seed)
        self.cycle_days = cycle_days
        self.early_deaths = _deck(self.rng, dict.fromkeys(EARLY_DEATHS, 1), len(EARLY_DEATHS))
        self.donors = _deck(self.rng, DONORS, sum(DONORS.values()))
        self.sos_conditioning = _deck(self.rng, Counter(SOS_CONDITIONING), len(SOS_CONDITIONING))

    # -- the cohort ---------------------------------------------------------------------------

    def build(self) -> list[PatientPlan]:
        rng = self.rng
        registered = _spread(rng, ACCRUAL_START, AMENDMENT_DATE - timedelta(days=1), 67)
        registered += _spread(rng, AMENDMENT_DATE + timedelta(days=3), ACCRUAL_END, 43)
        plans = []
        for number, day in enumerate(registered, 1):
            version = ORIGINAL if number <= 67 else AMENDED
            start = min(day + timedelta(days=rng.choice((0, 0, 1, 2, 3))), max(day, ACCRUAL_END))
            plans.append(PatientPlan(number=number, version=version, registered=day, start=start))
        frontline = _deck(rng, FRONTLINE, len(plans))
        for version in VERSIONS:
            group = [p for p in plans if p.version == version]
            self._responses(group, version)
            self._baselines(group, version, frontline)
        for plan in plans:
            self._enrolment(plan)
            self._timeline(plan)
        self._special_cases(plans)
        return plans

    def _responses(self, group, version):
        rng = self.rng
        for plan, best in zip(group, _deck(rng, TABLE_2[version], len(group)), strict=True):
            plan.best = best
        responders = [p for p in group if p.best in RESPONSES]
        for plan, mrd in zip(responders, _deck(rng, MRD_CLASSES[version], len(responders)), strict=True):
            plan.mrd = mrd
        sct = set(rng.sample(range(len(responders)), sum(SCT_OUTCOMES[version].values())))
        for outcomes, chosen in ((SCT_OUTCOMES[version], True), (NO_SCT_OUTCOMES[version], False)):
            members = [p for i, p in enumerate(responders) if (i in sct) == chosen]
            self._outcomes(members, outcomes, transplanted=chosen)
        for plan in rng.sample(responders, LATE_RESPONDERS[version]):
            plan.late = True
        refractory = [p for p in group if p.best == NO_RESPONSE]
        alive = set(rng.sample(range(len(refractory)), NO_RESPONSE_ALIVE[version]))
        for i, plan in enumerate(refractory):
            plan.outcome = "alive" if i in alive else "dead"
        for plan in group:
            if plan.best == EARLY_DEATH:
                plan.outcome = "early_death"

    def _outcomes(self, members, outcomes, *, transplanted):
        """SOS at random; the other outcomes go worse with persistent MRD (with noise)."""
        rng = self.rng
        deck = _deck(rng, outcomes, len(members))
        sos = [o for o in deck if o in (SOS_FATAL, SOS_NON_FATAL)]
        rest = sorted((o for o in deck if o not in sos), key=[ALIVE_IN_CR, RELAPSE_ALIVE, NON_RELAPSE_DEATH,
                                                              RELAPSE_DEAD].index)  # fmt: skip
        order = list(members)
        rng.shuffle(order)
        for plan, outcome in zip(order[: len(sos)], sos, strict=True):
            plan.outcome, plan.sos = outcome, "fatal" if outcome == SOS_FATAL else "non_fatal"
        risk = {id(p): (2 if p.mrd == MRD_PERSISTENT else 0) + rng.random() * 3 for p in order[len(sos) :]}
        for plan, outcome in zip(sorted(order[len(sos) :], key=lambda p: risk[id(p)]), rest, strict=True):
            plan.outcome = outcome
        for plan in members:
            plan.outcome = ("sct:" if transplanted else "no_sct:") + plan.outcome

    # -- baseline -----------------------------------------------------------------------------

    def _baselines(self, group, version, frontline):
        rng, t1, n = self.rng, TABLE_1[version], len(group)
        # The worse the salvage status, the likelier an early death or no response (with noise).
        badness = {EARLY_DEATH: 3, NO_RESPONSE: 2}
        by_risk = sorted(group, key=lambda p: -(badness.get(p.best, 0) + rng.random() * 2.5))
        salvage = [s for s, count in t1["salvage"].items() for _ in range(count)]
        for plan, status in zip(by_risk, salvage, strict=True):
            plan.baseline["_salvage"] = status
        median, low, high = t1["age"]
        ages = [low, high] + [min(high - 1, max(low + 1, round(rng.gauss(median, 15)))) for _ in range(n - 2)]
        rng.shuffle(ages)
        male = _flags(rng, t1["male"], n)
        ecog = _flags(rng, t1["ecog_2_plus"], n)
        wbc_high = _flags(rng, t1["wbc_50_plus"], n)
        marrow_high = _flags(rng, t1["marrow_blasts_50_plus"], n)
        cd20_high = _flags(rng, t1["cd20_20_plus"], n)
        ph_like = _flags(rng, t1["ph_like"], n)
        crlf2_tested, crlf2_yes = t1["crlf2"]
        crlf2 = _deck(rng, {"yes": crlf2_yes, "no": crlf2_tested - crlf2_yes, "": n - crlf2_tested}, n)
        tp53_tested, tp53_mutated = t1["tp53"]
        tp53 = _deck(
            rng, {"mutated": tp53_mutated, "wild_type": tp53_tested - tp53_mutated, "not_tested": n - tp53_tested}, n
        )
        cns = _flags(rng, t1["cns"], n)
        karyotype = _deck(rng, t1["karyotype"], n)
        not_refractory = [p for p in group if p.baseline["_salvage"] != "s1_primary_refractory"]
        prior_sct = {id(p) for p in rng.sample(not_refractory, t1["prior_sct"])}
        for i, plan in enumerate(group):
            status = plan.baseline.pop("_salvage")
            plan.sex = "male" if male[i] else "female"
            plan.date_of_birth = self._birth_date(plan.registered, ages[i])
            kary = karyotype[i]
            regimen = frontline[plan.number - 1]
            values = {
                "ecog": rng.choice((2, 2, 2, 3)) if ecog[i] else rng.choice((0, 1, 1, 1)),
                "wbc_1e9_per_l": _d(rng.uniform(50, 194.7) if wbc_high[i] else min(45, rng.lognormvariate(1.2, 1.0))),
                "peripheral_blast_percent": _d(0 if rng.random() < 0.35 else min(97, rng.expovariate(1 / 14)), "1"),
                "marrow_blast_percent": _d(rng.uniform(50, 98) if marrow_high[i] else rng.uniform(6, 49.5), "1"),
                "cns_disease_at_start": cns[i],
                "karyotype_group": kary,
                "kmt2a_rearranged": "yes" if kary == "kmt2a" else "no",
                "low_hypodiploidy_near_triploidy": "yes" if kary == "low_hypodiploidy" else "no",
                "ph_like": "yes" if ph_like[i] else rng.choice(("no", "no", "unknown")),
                "crlf2_overexpression": crlf2[i] or "unknown",
                "crlf2_method": rng.choice(("flow", "fish")) if crlf2[i] else "",
                "tp53_status": tp53[i],
                "cd19_percent": _d(rng.uniform(98, 100) if rng.random() < 0.8 else rng.uniform(10.5, 98)),
                "cd20_percent": _d(rng.uniform(20, 95) if cd20_high[i] else rng.uniform(0, 19.4)),
                "cd22_percent": _d(rng.uniform(85, 100) if rng.random() < 0.88 else rng.uniform(20, 85)),
                "prior_frontline_regimen": regimen,
                "prior_frontline_regimen_detail": rng.choice(FRONTLINE_OTHER) if regimen == "other" else "",
                "primary_refractory": status == "s1_primary_refractory",
                "first_remission_duration_months": {
                    "s1_primary_refractory": None,
                    "s1_crd1_lt_12": _d(rng.uniform(2, 11.8)),
                    "s1_crd1_ge_12": _d(rng.uniform(12, 60)),
                }.get(status, _d(rng.uniform(3, 40))),
                "prior_salvage_lines": {"s2": 1, "s3_plus": rng.choice((2, 2, 3, 4))}.get(status, 0),
                "prior_allogeneic_sct": id(plan) in prior_sct,
            }
            plan.baseline.update(values)
            if plan.sex == "male":
                height, weight = rng.gauss(176, 7), rng.gauss(84, 15)
            else:
                height, weight = rng.gauss(163, 7), rng.gauss(70, 14)
            plan.height_cm = _d(min(200, max(145, height)))
            plan.weight_kg = _d(min(150, max(42, weight)))

    def _birth_date(self, registered: date, age: int) -> date:
        """A date of birth giving exactly ``age`` at registration."""
        year = registered.year - age
        anniversary = registered.replace(year=year, day=28) if (registered.month, registered.day) == (2, 29) else None
        anniversary = anniversary or registered.replace(year=year)
        return anniversary - timedelta(days=self.rng.randint(1, 360))

    def _enrolment(self, plan: PatientPlan):
        rng = self.rng
        plan.consented = plan.registered - timedelta(days=rng.randint(3, 12))
        plan.assessed = plan.registered - timedelta(days=rng.randint(0, 2))
        plan.consent_form = (
            "v2.0" if plan.version == AMENDED else ("v1.1" if plan.registered >= URSODIOL_DATE else "v1.0")
        )
        b = plan.baseline
        plan.eligibility = {
            "diagnosis": "pre_b_all",
            "disease_status": "refractory" if b["primary_refractory"] else "relapsed",
            "ph_status": "negative",
            "cd22_status": "positive",
            "ecog": b["ecog"],
            "ejection_fraction_percent": _d(rng.uniform(52, 68), "1"),
            "bilirubin_mg_dl": _d(rng.uniform(0.2, 1.4)),
            "creatinine_mg_dl": _d(rng.uniform(0.5, 1.4)),
            "uncontrolled_infection": False,
            "nyha_class": 1,
            "second_active_malignancy": False,
        }
        # Original course 1: the higher inotuzumab level for the first patients, the lower one later
        # (when the change was made is not in the paper).
        if plan.version == ORIGINAL:
            plan.dose_level = "higher" if plan.number <= 30 else "lower"

    # -- treatment and outcome ----------------------------------------------------------------

    def _marrow(self, plan, day, category, *, mrd="not_done", cyto="not_done", **extra) -> MarrowPlan:
        rng = self.rng
        if category == CR:
            blasts, anc, plt = rng.uniform(0, 4.5), rng.uniform(1.2, 6), rng.uniform(110, 380)
        elif category == CRP:
            blasts, anc, plt = rng.uniform(0, 4.5), rng.uniform(1.1, 5), rng.uniform(15, 95)
        elif category == CRI:
            blasts, anc, plt = rng.uniform(0, 4.5), rng.uniform(0.1, 0.9), rng.uniform(10, 90)
        else:  # no response or relapse
            blasts, anc, plt = rng.uniform(8, 85), rng.uniform(0.1, 2.5), rng.uniform(5, 95)
        level = _d(10 ** rng.uniform(-4, -2), "0.00001") if mrd == "detected" else None
        values = {"blasts": _d(blasts), "neutrophils": _d(anc, "0.01"), "platelets": _d(plt, "1")}
        values.update(extra)
        return MarrowPlan(plan.day(day), mrd_flow=mrd, mrd_flow_level=level, cytogenetics=cyto, **values)

    def _courses(self, plan, *, until: int, count: int):
        """Course start days: every cycle plus a delay for count recovery, up to ``count``, before ``until``."""
        cycles = self.cycle_days[plan.version]
        days = [0]
        while len(days) < min(count, len(cycles)):
            following = days[-1] + cycles[len(days) - 1] + self.rng.randint(0, 12)
            if following > until:
                break
            days.append(following)
        plan.courses = [plan.day(d) for d in days]

    def _timeline(self, plan: PatientPlan):
        rng = self.rng
        last_day = (DATA_CUT_OFF - plan.start).days
        abnormal = plan.baseline["karyotype_group"] not in NORMAL_KARYOTYPES
        cyto_active = "abnormal" if abnormal else "not_done"
        if plan.best == EARLY_DEATH:
            day, cause, detail = self.early_deaths.pop()
            plan.courses = [plan.start]
            plan.death = EventPlan(plan.day(day), cause, detail)
            plan.off_study = EventPlan(plan.day(day), "death")
            plan.sos = "fatal" if cause == "sos" else ""
            return
        if plan.best == NO_RESPONSE:
            days = [rng.randint(26, 35)]
            if rng.random() < 0.5:
                days.append(days[0] + rng.randint(30, 38))
            self._courses(plan, until=days[-1] - 7, count=len(days))
            plan.marrows = [self._marrow(plan, d, NO_RESPONSE, cyto=cyto_active) for d in days]
            plan.off_study = EventPlan(plan.day(days[-1] + rng.randint(1, 5)), "no_response")
            if plan.outcome == "dead":
                death = days[-1] + int(rng.triangular(20, 300, 70))
                self._end(plan, death_day=death, cause=("disease", "Refractory leukaemia"), last_day=last_day,
                          status="refractory")  # fmt: skip
            else:
                self._end(plan, death_day=None, cause=None, last_day=last_day, status="in_remission",
                          note="Remission after off-study therapy")  # fmt: skip
            return
        self._responder(plan, last_day, abnormal)

    def _mrd(self, plan, position: int) -> str:
        """MRD by flow at the ``position``-th remission evaluation (0: the first response)."""
        cls = plan.mrd
        if cls == MRD_NEVER or (cls == MRD_NEGATIVE_LATER and position == 0):
            return "not_done"
        if cls == MRD_PERSISTENT:
            return "detected" if position <= 1 else "not_done"
        if cls == MRD_CONVERTS and position == 0:
            return "detected"
        return "not_detected" if position <= 3 or self.rng.random() < 0.7 else "not_done"

    def _responder(self, plan: PatientPlan, last_day: int, abnormal: bool):
        rng = self.rng
        transplanted, outcome = plan.outcome.split(":")
        late = plan.late
        first_response = rng.randint(55, 134) if late else int(rng.triangular(14, 40, 27))
        first_category = CRP if plan.best == CR and rng.random() < 0.25 else plan.best
        confirm = first_response + rng.randint(28, 45)
        normalised = abnormal and rng.random() < 0.92
        events: dict[str, int | None] = {"sct": None, "relapse": None, "death": None}
        cause = None
        if transplanted == "sct":
            sct = max(confirm + rng.randint(7, 21), int(rng.triangular(55, 310, 70)))
            events["sct"] = sct
            if outcome == SOS_FATAL:
                events["death"] = sct + rng.randint(12, 45)
                cause = (
                    "sos",
                    f"Hepatic sinusoidal obstruction syndrome after allogeneic SCT (day +{events['death'] - sct})",
                )
            elif outcome == NON_RELAPSE_DEATH:
                events["death"] = sct + int(rng.triangular(30, 450, 90))
                cause = rng.choice(TRANSPLANT_DEATH_CAUSES)
            elif outcome in (RELAPSE_DEAD, RELAPSE_ALIVE):
                events["relapse"] = sct + int(rng.triangular(60, 600, 120))
                if outcome == RELAPSE_DEAD:
                    events["death"] = events["relapse"] + int(rng.triangular(20, 300, 60))
                    cause = ("disease", "Relapsed leukaemia after allogeneic SCT")
        else:
            if outcome == SOS_FATAL:
                events["death"] = max(confirm + 14, rng.randint(75, 125))
                cause = ("sos", "Hepatic sinusoidal obstruction syndrome during consolidation")
            elif outcome == NON_RELAPSE_DEATH:
                events["death"] = confirm + int(rng.triangular(30, 700, 120))
                cause = rng.choice(DEATH_IN_CR_CAUSES)
            elif outcome in (RELAPSE_DEAD, RELAPSE_ALIVE):
                events["relapse"] = confirm + int(rng.triangular(45, 600, 90))
                if outcome == RELAPSE_DEAD:
                    events["death"] = events["relapse"] + int(rng.triangular(20, 300, 60))
                    cause = ("disease", "Relapsed leukaemia")
        # The data cut-off censors what would come after it (SOS deaths always come before it: the SCT is
        # within about 10 months of a start no later than July 2021).
        if events["relapse"] is not None and events["relapse"] > last_day - 14:
            events["relapse"] = events["death"] = None
        if events["death"] is not None and events["death"] > last_day:
            events["death"] = None
        stop = min(d for d in (events["sct"], events["relapse"], events["death"], last_day) if d is not None)
        # Evaluations in remission, (day, category) in order: first response, confirmation, every 3–6 months.
        remission = [(first_response, first_category), (confirm, plan.best)]
        day = confirm
        horizon = events["sct"] if events["sct"] is not None else confirm + 730
        while len(remission) < 6:
            day += rng.randint(90, 180)
            if day >= min(stop, horizon) - 20:
                break
            remission.append((day, plan.best))
        if events["sct"] is not None:
            sct = events["sct"]
            if sct - remission[-1][0] > 75:
                remission.append((sct - rng.randint(7, 14), plan.best))
            end = min(d for d in (events["relapse"], events["death"], last_day) if d is not None)
            for after in (100, 365, 730):
                if sct + after < end - 14:
                    remission.append((sct + after + rng.randint(-7, 7), plan.best))
        # The courses the response evaluations follow: up to the confirmation (paper: median 2 courses, range 1–8).
        # Later consolidation and maintenance courses are not entered (starting a course plans all its doses).
        self._courses(plan, until=confirm - 7, count=8)
        if late:  # no response after course 1, response after a later course
            plan.marrows.append(
                self._marrow(plan, rng.randint(26, 33), NO_RESPONSE, cyto="abnormal" if abnormal else "not_done")
            )
        for position, (day, category) in enumerate(remission):
            cyto = "not_done"
            if abnormal and position <= 1:
                cyto = "normalised" if normalised else "abnormal"
            plan.marrows.append(self._marrow(plan, day, category, mrd=self._mrd(plan, position), cyto=cyto))
        if events["relapse"] is not None:
            plan.marrows.append(
                self._marrow(plan, events["relapse"], NO_RESPONSE, cyto="abnormal" if abnormal else "not_done")
            )
        plan.marrows = [m for m in plan.marrows if m.on <= DATA_CUT_OFF]
        if events["sct"] is not None:
            donor = self.donors.pop()
            name, agents = CONDITIONING[self._conditioning(plan, donor)]
            plan.transplant = TransplantPlan(plan.day(events["sct"]), donor, name, agents)
            last_course = (plan.courses[-1] - plan.start).days
            plan.off_study = EventPlan(plan.day(max(last_course + 1, events["sct"] - rng.randint(0, 5))), "transplant")
        else:
            completed = confirm + rng.randint(700, 1000)
            if events["relapse"] is not None and events["relapse"] < completed:
                plan.off_study = EventPlan(plan.day(events["relapse"]), "relapse")
            elif events["death"] is not None and events["death"] < completed:
                plan.off_study = EventPlan(plan.day(events["death"]), "death")
            elif completed <= last_day:
                plan.off_study = EventPlan(plan.day(completed), "completed", "Maintenance completed")
        self._end(plan, death_day=events["death"], cause=cause, last_day=last_day, relapse_day=events["relapse"])

    def _conditioning(self, plan, donor: str) -> str:
        if plan.sos:
            return self.sos_conditioning.pop()
        if donor == "cord":
            return "flu_cy_tbi"
        return self.rng.choice(("flu_mel", "flu_mel", "flu_bu", "clo_flu_bu", "flu_mel_tt", "flu_mel_tt"))

    def _end(self, plan, *, death_day, cause, last_day, relapse_day=None, status="in_remission", note=""):
        """Death, or the last contact alive; yearly follow-up contacts after the last evaluation.

        The disease status of a contact is ``status``, or "relapsed" from ``relapse_day`` on."""
        rng = self.rng
        events = [plan.courses[-1]] + [m.on for m in plan.marrows]
        events += [plan.transplant.on] if plan.transplant else []
        events += [plan.off_study.on] if plan.off_study else []
        last_event = (max(events) - plan.start).days
        end = death_day if death_day is not None else max(last_day - rng.randint(0, 75), last_event + 30)
        end = min(end, last_day)
        contact = last_event + 365

        def state(day):
            return "relapsed" if relapse_day is not None and day >= relapse_day else status

        while contact < end - 60:
            plan.follow_ups.append(EventPlan(plan.day(contact), state(contact)))
            contact += rng.randint(330, 400)
        if death_day is None:
            plan.follow_ups.append(EventPlan(plan.day(end), state(end), note))
        else:
            code, detail = cause
            plan.death = EventPlan(plan.day(death_day), code, detail)

    def _special_cases(self, plans):
        """One raised blast count due to recovery (no relapse) and one extramedullary relapse."""
        for plan in plans:
            if plan.best == CR and not plan.late and plan.outcome == f"no_sct:{ALIVE_IN_CR}" and len(plan.marrows) >= 4:
                m = plan.marrows[2]
                plan.marrows[2] = MarrowPlan(m.on, Decimal("7.5"), Decimal("2.40"), Decimal("168"), m.mrd_flow,
                                             m.mrd_flow_level, m.cytogenetics, blasts_due_to_recovery=True)  # fmt: skip
                break
        for plan in plans:
            if plan.outcome == f"no_sct:{RELAPSE_DEAD}" and plan.death and plan.death.kind == "disease":
                m = plan.marrows[-1]
                plan.marrows[-1] = MarrowPlan(m.on, Decimal("1.5"), Decimal("2.10"), Decimal("145"),
                                              extramedullary_disease=True)  # fmt: skip
                break


def build_plan(cycle_days: dict[str, list[int]], seed: int = SEED) -> list[PatientPlan]:
    """The reference cohort's 110 patient plans, in registration order.

    ``cycle_days`` gives, per protocol version code, the cycle length in days of each planned course.
    """
    planner = _Planner(seed, cycle_days)
    return planner.build()
