"""The paper's figures the reference cohort is built to (Kantarjian et al. 2023, PROTOCOL.md §1, §5 and §6).

Counts by protocol version: Table 2 (best response, MRD by flow), what happened to the responders
(allogeneic SCT, relapse, deaths, the SOS cases), the early deaths, and the baseline of Table 1 where
the paper gives it by version. :mod:`demo.cohort.plan` draws everything else from a seed.
"""

from datetime import date

ORIGINAL, AMENDED = "original", "amended-2017"
VERSIONS = (ORIGINAL, AMENDED)
ACCRUAL_START, ACCRUAL_END = date(2012, 11, 12), date(2021, 7, 23)
AMENDMENT_DATE = date(2017, 2, 1)  # the amended version applies from #68 or from this date
URSODIOL_DATE = date(2015, 9, 1)
DATA_CUT_OFF = date(2023, 1, 1)

CR, CRP, CRI, NO_RESPONSE, EARLY_DEATH = "cr", "crp", "cri", "no_response", "early_death"
RESPONSES = (CR, CRP, CRI)

# Table 2: best response by protocol version.
TABLE_2 = {
    ORIGINAL: {CR: 40, CRP: 10, CRI: 1, NO_RESPONSE: 9, EARLY_DEATH: 7},
    AMENDED: {CR: 29, CRP: 9, CRI: 2, NO_RESPONSE: 3, EARLY_DEATH: 0},
}
# MRD by flow among responders. Table 2: negative at response 28/49 and 19/38, at any time 41/50 and
# 34/39, so per version 2 responders have no result at response, and 1 of them none at all.
MRD_NEGATIVE_AT_RESPONSE = "negative_at_response"
MRD_CONVERTS = "converts"  # positive at response, negative at the next evaluation
MRD_PERSISTENT = "persistent"  # positive, never negative
MRD_NEGATIVE_LATER = "negative_later"  # not done at response, negative at the next evaluation
MRD_NEVER = "never"  # never measured
MRD_CLASSES = {
    ORIGINAL: {MRD_NEGATIVE_AT_RESPONSE: 28, MRD_CONVERTS: 12, MRD_PERSISTENT: 9, MRD_NEGATIVE_LATER: 1, MRD_NEVER: 1},
    AMENDED: {MRD_NEGATIVE_AT_RESPONSE: 19, MRD_CONVERTS: 14, MRD_PERSISTENT: 5, MRD_NEGATIVE_LATER: 1, MRD_NEVER: 1},
}
# Responders who responded only after a later course (paper: 18 of 91).
LATE_RESPONDERS = {ORIGINAL: 10, AMENDED: 8}

# What happens to responders. SCT 29/67 and 24/43. SOS 9/67 and 1/43, 9 of 10 fatal, 7 of 10 after
# SCT; one of the original version's 9 was an early death. Alive at last follow-up: 41, 34 in CR
# (24 after SCT).
SOS_FATAL, SOS_NON_FATAL = "sos_fatal", "sos_non_fatal"
RELAPSE_DEAD, RELAPSE_ALIVE = "relapse_dead", "relapse_alive"
NON_RELAPSE_DEATH, ALIVE_IN_CR = "non_relapse_death", "alive_in_cr"
SCT_OUTCOMES = {
    ORIGINAL: {SOS_FATAL: 5, SOS_NON_FATAL: 1, RELAPSE_DEAD: 8, RELAPSE_ALIVE: 1, NON_RELAPSE_DEATH: 5, ALIVE_IN_CR: 9},
    AMENDED: {SOS_FATAL: 1, RELAPSE_DEAD: 5, NON_RELAPSE_DEATH: 4, ALIVE_IN_CR: 14},
}
NO_SCT_OUTCOMES = {
    ORIGINAL: {SOS_FATAL: 2, NON_RELAPSE_DEATH: 5, RELAPSE_DEAD: 9, RELAPSE_ALIVE: 2, ALIVE_IN_CR: 4},
    AMENDED: {NON_RELAPSE_DEATH: 2, RELAPSE_DEAD: 5, RELAPSE_ALIVE: 3, ALIVE_IN_CR: 6},
}
NO_RESPONSE_ALIVE = {ORIGINAL: 0, AMENDED: 1}
# Early deaths (all on the original version): day of death after the start and cause (paper: median
# 15 days, range 4–26; four infections, one intracranial haemorrhage, one SOS, one unknown).
EARLY_DEATHS = (
    (4, "infection", "Neutropenic sepsis"),
    (9, "haemorrhage", "Intracranial haemorrhage"),
    (13, "infection", "Pneumonia, respiratory failure"),
    (15, "sos", "Hepatic sinusoidal obstruction syndrome during course 1"),
    (18, "infection", "Invasive fungal infection"),
    (22, "unknown", ""),
    (26, "infection", "Septic shock"),
)
DEATH_IN_CR_CAUSES = (
    ("infection", "Pneumonia"),
    ("infection", "Septic shock"),
    ("other", "Myocardial infarction"),
    ("haemorrhage", "Bronchopulmonary haemorrhage"),
    ("unknown", ""),
    ("unknown", ""),
    ("infection", "Invasive aspergillosis"),
)
TRANSPLANT_DEATH_CAUSES = (
    ("gvhd", "Liver graft-versus-host disease"),
    ("gvhd", "Gut graft-versus-host disease"),
    ("infection", "CMV pneumonitis after SCT"),
    ("transplant_other", "Multi-organ failure after SCT"),
    ("infection", "Sepsis after SCT"),
)
DONORS = {"matched_related": 18, "matched_unrelated": 17, "haploidentical": 16, "cord": 2}
# (name, agents); dual alkylators with clofarabine are among the SOS risk factors (PROTOCOL.md §5).
CONDITIONING = {
    "flu_mel": ("Fludarabine + melphalan", ("fludarabine", "melphalan")),
    "flu_bu": ("Fludarabine + busulfan", ("fludarabine", "busulfan")),
    "clo_flu_bu": ("Clofarabine + fludarabine + busulfan", ("busulfan", "clofarabine", "fludarabine")),
    "tbi_eto": ("TBI + etoposide", ("other", "tbi")),
    "flu_mel_tt": ("Fludarabine + melphalan + thiotepa, post-transplant cyclophosphamide", (
        "cyclophosphamide", "fludarabine", "melphalan", "thiotepa")),
    "flu_cy_tbi": ("Fludarabine + cyclophosphamide + low-dose TBI (cord)", ("cyclophosphamide", "fludarabine", "tbi")),
}  # fmt: skip
# The paper's 7 SOS after SCT: 3 clofarabine + busulfan, 1 fludarabine + melphalan, 1 fludarabine +
# busulfan, 1 TBI + etoposide; the seventh is not named.
SOS_CONDITIONING = ("clo_flu_bu", "clo_flu_bu", "clo_flu_bu", "flu_mel", "flu_bu", "tbi_eto", "flu_bu")

# Table 1 by version (counts where the paper gives them; CNS split and frontline regimens are not by version).
TABLE_1 = {
    ORIGINAL: {
        "age": (34, 17, 87), "male": 31, "ecog_2_plus": 11, "wbc_50_plus": 2,
        "marrow_blasts_50_plus": 47, "cd20_20_plus": 12, "prior_sct": 19, "ph_like": 7,
        "crlf2": (34, 6), "tp53": (24, 9), "cns": 4,
        "karyotype": {"diploid": 14, "other": 17, "complex": 10, "kmt2a": 8, "low_hypodiploidy": 4,
                      "high_hyperdiploidy": 3, "tetraploidy": 1, "insufficient": 10},
        "salvage": {"s3_plus": 14, "s2": 15, "s1_primary_refractory": 5, "s1_crd1_lt_12": 17, "s1_crd1_ge_12": 16},
    },
    AMENDED: {
        "age": (42, 18, 79), "male": 21, "ecog_2_plus": 8, "wbc_50_plus": 2,
        "marrow_blasts_50_plus": 22, "cd20_20_plus": 16, "prior_sct": 2, "ph_like": 13,
        "crlf2": (37, 6), "tp53": (36, 10), "cns": 2,
        "karyotype": {"diploid": 14, "other": 9, "complex": 3, "kmt2a": 2, "low_hypodiploidy": 8,
                      "high_hyperdiploidy": 0, "tetraploidy": 1, "insufficient": 6},
        "salvage": {"s3_plus": 0, "s2": 2, "s1_primary_refractory": 10, "s1_crd1_lt_12": 9, "s1_crd1_ge_12": 22},
    },
}  # fmt: skip
FRONTLINE = {"hyper_cvad": 76, "pediatric": 20, "other": 14}
FRONTLINE_OTHER = ("GRAALL-2005", "GMALL 07/2003", "UKALL XII", "Linker regimen", "Low-intensity (older adult)")
NORMAL_KARYOTYPES = ("diploid", "insufficient")
