"""`flask instruments check | import-redcap | export-redcap`: the study's questionnaires.

Study staff run these; messages are plain English like `flask curriculum check`'s.
"""

import sys
from pathlib import Path

import click
import yaml
from flask import current_app
from flask.cli import AppGroup

from p4p.modules.curriculum.service import content_dir_of, get_program, read_study_instruments
from p4p.modules.instruments import redcap
from p4p.modules.instruments.definitions import parse_instrument
from p4p.modules.instruments.models import Instrument

instruments_cli = AppGroup(
    "instruments", help="Check the study's questionnaires; import or export them for REDCap."
)


def schedule_summary(instrument: Instrument) -> str:
    """'partners4pain: weekly, months 2/4/6; ...' for the check's table."""
    arms = []
    for arm, occasions in instrument.schedule.items():
        kinds = [
            f"months {'/'.join(map(str, o.months))}"
            if o.kind == "months"
            else o.kind.replace("_", " ")
            for o in occasions
        ]
        arms.append(f"{arm}: {', '.join(kinds)}")
    return "; ".join(arms) or "not scheduled"


@instruments_cli.command("check")
@click.option("--content-dir", type=click.Path(file_okay=False, path_type=Path))
def check_command(content_dir):
    """Validate every instruments/<key>.yaml; list them; exit 1 on any problem."""
    directory = content_dir or Path(content_dir_of(current_app))
    instruments, problems = read_study_instruments(directory)
    for key, instrument in instruments.items():
        click.echo(
            f"{key:<26} {len(instrument.items):>2} items  {len(instrument.scores)} scores"
            f"  {schedule_summary(instrument)}"
        )
    for problem in problems:
        click.echo(f"INVALID {problem}", err=True)
    if not problems:
        click.echo(f"{len(instruments)} instruments valid")
    sys.exit(1 if problems else 0)


@instruments_cli.command("import-redcap")
@click.argument("dictionary", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--form", required=True, help="The form's name in the dictionary (Form Name).")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the instrument here (e.g. instruments/<form>.yaml); else to standard output.",
)
def import_redcap_command(dictionary, form, out):
    """Turn one form of a REDCap data dictionary into an instrument file.

    Prints every warning: what did not carry over, and each text to translate. Writes nothing
    when the result would not validate.
    """
    program = get_program()
    try:
        text = dictionary.read_text(encoding="utf-8-sig")
        imported = redcap.import_form(text, form, program.languages)
    except (redcap.DictionaryError, UnicodeDecodeError) as error:
        raise click.ClickException(f"{dictionary}: {error}") from None
    for warning in imported.warnings:
        click.echo(f"WARNING {warning}", err=True)
    sessions = {key: len(arm.weeks) for key, arm in program.arms.items()}
    labels = [arm.label for arm in program.arms.values()]
    _, problems = parse_instrument(
        imported.instrument, f"{form}.yaml", program.languages, sessions, labels
    )
    if problems:
        for problem in problems:
            click.echo(f"INVALID {problem}", err=True)
        raise click.ClickException("not written: mend the dictionary (or the file by hand)")
    document = yaml.safe_dump(imported.instrument, allow_unicode=True, sort_keys=False, width=100)
    if out is None:
        click.echo(document, nl=False)
    else:
        out.write_text(document, encoding="utf-8")
        click.echo(f"wrote {out}: {len(imported.instrument['items'])} items", err=True)


@instruments_cli.command("export-redcap")
@click.argument("key")
@click.option("--language", default="en", show_default=True, help="The labels' language.")
def export_redcap_command(key, language):
    """Write the instrument KEY as a REDCap data dictionary (CSV) to standard output."""
    program = get_program()
    if key not in program.instruments:
        known = ", ".join(program.instruments) or "none"
        raise click.BadParameter(f"no instrument {key!r} (instruments: {known})", param_hint="KEY")
    if language not in program.languages:
        raise click.BadParameter(
            f"{language!r} is not one of {', '.join(program.languages)}", param_hint="--language"
        )
    click.echo(redcap.dictionary_csv(program.instruments[key], language), nl=False)
