"""People's names as stored and as greeted.

Roster files from clinics often write "Last, First". A name is stored as it is said, "First
Last", so lists, emails and texts read naturally; a greeting uses the given name alone.
"""


def person_name(typed: str) -> str:
    """Outer and repeated spaces off, and "Smith, Jane" as "Jane Smith" (one comma only: with
    more, like "Smith, Jane, Jr.", the order is not clear, so it is kept as typed)."""
    name = " ".join(typed.split())
    last, comma, first = name.partition(",")
    if comma and "," not in first and last.strip() and first.strip():
        return f"{first.strip()} {last.strip()}"
    return name


def given_name(name: str | None) -> str:
    """The word a greeting uses: "Jane" for "Jane Smith" and for a stored "Smith, Jane"."""
    words = person_name(name or "").split()
    return words[0].strip(",") if words else ""
