"""The reports' filters (site, program, cohort, date range) and the export's format.

The filters are GET forms: they change nothing, so they carry no CSRF token. The export writes
to the audit trail, so it is a POST form with one. The choices are only what the
user may see, so a facilitator cannot even name another site; anything else is a field error.
"""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, RadioField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Optional, ValidationError

from p4p.forms import Form, plausible_date
from p4p.modules.reports.exports import FORMATS
from p4p.modules.reports.queries import ReportFilters, Scope, visible_cohorts, visible_sites

FORMAT_LABELS = {
    "long": _l("Long: one row per participant and meeting"),
    "summary": _l("Summary: one row per participant"),
    "redcap": _l("REDCap: records for the Data Import Tool"),
    "redcap-dictionary": _l("REDCap: the data dictionary for those records"),
    "questionnaires": _l("Questionnaires: one row per answer and per score"),
}


class ReportFilterForm(Form):
    class Meta:
        csrf = False

    site = SelectField(_l("Site"), default="", validate_choice=False)
    arm = SelectField(_l("Program"), default="", validate_choice=False)
    cohort = SelectField(_l("Cohort"), default="", validate_choice=False)
    since = DateField(_l("From (local date)"), validators=[Optional(), plausible_date])
    until = DateField(_l("To (local date)"), validators=[Optional(), plausible_date])

    def __init__(self, formdata, *, sites, cohorts, arms, fixed_site: int | None = None, **kw):
        super().__init__(formdata, **kw)
        self.sites, self.fixed_site = sites, fixed_site
        self._cohorts = {str(cohort.id): cohort for cohort in cohorts}
        self._arms = {arm.key: arm for arm in arms}
        self.site.choices = [SelectChoice("", _l("All sites"))] + [
            SelectChoice(str(site.id), site.name) for site in sites
        ]
        self.arm.choices = [SelectChoice("", _l("Both programs"))] + [
            SelectChoice(arm.key, arm.label) for arm in arms
        ]
        self.cohort.choices = [SelectChoice("", _l("All cohorts"))] + [
            SelectChoice(str(cohort.id), cohort.name)
            for cohort in cohorts
            if fixed_site is None or cohort.site_id == fixed_site
        ]
        if fixed_site is not None:
            self.site.data = str(fixed_site)

    def validate_site(self, field):
        if field.data and field.data not in {str(site.id) for site in self.sites}:
            raise ValidationError(_l("Choose a site from the list."))

    def validate_arm(self, field):
        if field.data and field.data not in self._arms:
            raise ValidationError(_l("Choose a program from the list."))

    def validate_cohort(self, field):
        if not field.data:
            return
        cohort = self._cohorts.get(field.data)
        if cohort is None:
            raise ValidationError(_l("Choose a cohort from the list."))
        if self.site.data and str(cohort.site_id) != self.site.data:
            raise ValidationError(_l("This cohort meets at another site."))
        if self.arm.data and cohort.arm != self.arm.data:
            raise ValidationError(_l("This cohort is in the other program."))

    def validate_until(self, field):
        if field.data and self.since.data and field.data < self.since.data:
            raise ValidationError(_l("The end date is before the start date."))

    def filters(self) -> ReportFilters:
        """The valid filters (call after validate())."""
        return ReportFilters(
            site_id=int(self.site.data) if self.site.data else None,
            arm=self.arm.data or None,
            cohort_id=int(self.cohort.data) if self.cohort.data else None,
            since=self.since.data,
            until=self.until.data,
        )

    def scope(self, site_ids, now) -> Scope:
        site_ids = None if site_ids is None else tuple(site_ids)
        return Scope(site_ids, tuple(self.sites), self.filters(), now)

    def query_args(self) -> dict:
        """The filters as query-string arguments, for links that keep them."""
        return {
            name: value
            for name, value in (
                ("site", self.site.data if self.fixed_site is None else ""),
                ("arm", self.arm.data),
                ("cohort", self.cohort.data),
                ("since", self.since.raw_data[0] if self.since.raw_data else ""),
                ("until", self.until.raw_data[0] if self.until.raw_data else ""),
            )
            if value
        }


class ExportForm(ReportFilterForm):
    """A POST form, unlike the filters: an export is written to the audit trail."""

    class Meta:
        csrf = FlaskForm.Meta.csrf  # back to the app's setting (on, except in some tests)

    format = RadioField(
        _l("Format"),
        choices=[SelectChoice(key, FORMAT_LABELS[key]) for key in FORMATS],
        validators=[InputRequired(_l("Choose a format."))],
    )


def filter_form(db, site_ids, formdata, program, form_class=ReportFilterForm, **kw):
    """The form with the sites and cohorts the user may see as its choices (two queries)."""
    return form_class(
        formdata,
        sites=visible_sites(db, site_ids),
        cohorts=visible_cohorts(db, site_ids),
        arms=list(program.arms.values()),
        **kw,
    )
