"""A small cohort, entered through the services, whose tables and curves can be worked out by hand.

Site A (``nurse_a``), all starting therapy on 3 Jan 2024:

======  ==========  ===========================================  ==============================
patient version     marrow                                       outcome
======  ==========  ===========================================  ==============================
A1      original    day 27: CR, MRD negative                     died day 300
A2      original    day 27: 20% blasts (no response)             died day 100
A3      amended     day 27: CRp (platelets 80), MRD detected     alive at follow-up day 400
A4      amended     none                                         died day 10 (early death)
======  ==========  ===========================================  ==============================

Site B (``nurse_b``): B1, amended, CR, died day 50 — never counted for site A's users.

So for site A: OS events at 10, 100, 300 days and one censored at 400: S = 3/4, 1/2, 1/4; median OS
100 days (3.3 months).
"""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from dosing.services import course_start
from patients.services.outcomes import death_record, follow_up_record
from responses.services import assessment_record

START = date(2024, 1, 3)
ORIGINAL, AMENDED = "original", "amended-2017"


def treat(nurse, patient, start=START):
    level = "higher" if patient.protocol_version.code == ORIGINAL else ""  # the original version has two levels
    return course_start(
        actor=nurse, patient=patient, start_date=start, height_cm=Decimal(170), weight_kg=Decimal(70),
        inotuzumab_dose_level=level,
    )  # fmt: skip


def marrow(nurse, patient, day, blasts, anc="2.0", plt="150", **kw):
    return assessment_record(
        actor=nurse, patient=patient, assessed_on=START + timedelta(days=day), marrow_blast_percent=Decimal(blasts),
        neutrophils_1e9_per_l=Decimal(anc), platelets_1e9_per_l=Decimal(plt), **kw,
    )  # fmt: skip


def die(nurse, patient, day, cause="disease"):
    return death_record(actor=nurse, patient=patient, death_date=START + timedelta(days=day), cause=cause)


@pytest.fixture
def small_cohort(make_patient, nurse_a, nurse_b, site_b):
    a1, a2, a3, a4 = (make_patient(v) for v in (ORIGINAL, ORIGINAL, AMENDED, AMENDED))
    for p in (a1, a2, a3, a4):
        treat(nurse_a, p)
    marrow(nurse_a, a1, 27, "2", mrd_flow="not_detected")
    marrow(nurse_a, a2, 27, "20")
    marrow(nurse_a, a3, 27, "3", plt="80", mrd_flow="detected")
    die(nurse_a, a1, 300)
    die(nurse_a, a2, 100)
    follow_up_record(actor=nurse_a, patient=a3, contact_date=START + timedelta(days=400), vital_status="alive")
    die(nurse_a, a4, 10)
    b1 = make_patient(AMENDED, nurse=nurse_b, site=site_b)
    treat(nurse_b, b1)
    marrow(nurse_b, b1, 27, "1")
    die(nurse_b, b1, 50)
    return {"A1": a1, "A2": a2, "A3": a3, "A4": a4, "B1": b1}
