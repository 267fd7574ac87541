"""Input a service refuses, named by form field, so a view can show each message at its field.

Services check what only the database can tell (a taken email, a cohort of the other arm, a
meeting that would jump past the next week) and raise `Problems`; views put each message on
its field, so the person sees it where they typed, exactly as for a format error.
"""

from collections.abc import Mapping


class Problems(ValueError):
    """One message per form field; nothing was written when this is raised."""

    def __init__(self, problems: Mapping[str, str]):
        self.problems = dict(problems)
        super().__init__("; ".join(f"{name}: {message}" for name, message in self.problems.items()))


def raise_if_any(problems: Mapping[str, str]) -> None:
    if problems:
        raise Problems(problems)


def show_on_form(form, refused: Problems) -> None:
    """Attach each message to the form field of the same name (the macros then show it)."""
    for name, message in refused.problems.items():
        field = form[name]
        field.errors = [*field.errors, message]
