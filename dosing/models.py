"""Courses and doses (filled by the course-administration issue)."""
