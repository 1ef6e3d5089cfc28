"""Calendar: the private iCalendar feed and per-session .ics files."""
