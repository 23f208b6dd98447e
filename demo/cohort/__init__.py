"""The reference cohort: 110 synthetic patients whose derived results match the paper's Table 2.

``figures`` holds the paper's counts, ``records`` the shape of one patient's plan, ``plan`` draws
the plans from a seed (pure, no database), ``enter`` enters them through the services, and
``survival`` summarises OS for the command's printout with the reports' Kaplan–Meier (lifelines).
"""

from .figures import AMENDED, DATA_CUT_OFF, ORIGINAL, VERSIONS
from .plan import SEED, build_plan
from .records import PatientPlan

__all__ = ["AMENDED", "DATA_CUT_OFF", "ORIGINAL", "SEED", "VERSIONS", "PatientPlan", "build_plan"]
