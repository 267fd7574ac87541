"""Imports every module's models, so metadata (Alembic, tests) sees every table."""


def import_all_models() -> None:
    from p4p.modules.attendance import models as _attendance  # noqa: F401
    from p4p.modules.audit import models as _audit  # noqa: F401
    from p4p.modules.auth import models as _auth  # noqa: F401
    from p4p.modules.calendars import models as _calendars  # noqa: F401
    from p4p.modules.instruments import answer_models as _instruments  # noqa: F401
    from p4p.modules.participants import models as _participants  # noqa: F401
    from p4p.modules.practice import models as _practice  # noqa: F401
    from p4p.modules.reminders import models as _reminders  # noqa: F401
    from p4p.modules.sites import models as _sites  # noqa: F401
