"""What every form page does the same way: answer 422 when it shows a sent form again, and put
a service's refusal at the form's fields."""

from collections.abc import Iterator
from contextlib import contextmanager

from flask import render_template

from p4p.problems import Problems, show_on_form


def form_status(form) -> int:
    """200 for a form shown fresh; 422 for a sent one shown again with its messages."""
    return 422 if form.is_submitted() else 200


def form_page(template: str, form, **context):
    """A page around one form (`form` in the template), answered with form_status."""
    return render_template(template, form=form, **context), form_status(form)


@contextmanager
def problems_on(form) -> Iterator[None]:
    """Run a service call whose Problems land on the form's fields instead of going up, as the
    form's own checks' messages do; after the block, `form.errors` says whether it was refused.

        if form.validate_on_submit():
            with problems_on(form):
                service.update_site(db, site, ...)
            if not form.errors:
                flash(...)
                return redirect(...)
        return form_page("coordinator/site_form.html", form)
    """
    try:
        yield
    except Problems as refused:
        show_on_form(form, refused)
