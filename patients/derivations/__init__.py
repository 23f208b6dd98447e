"""Pure functions of the patients app (no database): baseline derivations, eligibility, version assignment."""
