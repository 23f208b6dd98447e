"""One way of writing dates and times on every page: 3 Jan 2024, 3 Jan 2024 14:05 (24-hour clock)."""

DATE_FORMAT = "j M Y"
DATETIME_FORMAT = "j M Y H:i"
SHORT_DATE_FORMAT = "j M Y"
SHORT_DATETIME_FORMAT = "j M Y H:i"
