"""Pure functions of the adverse-events app (no database): CTCAE lab grading, reporting window, SAE clock."""
