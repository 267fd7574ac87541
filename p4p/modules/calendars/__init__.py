"""A private calendar feed (.ics) of a person's own group sessions."""
