"""The issue's done criterion: a REDCap data dictionary goes in (`flask instruments
import-redcap` into a copy of the shipped content), participants answer it in the app, and
the REDCap export (`flask export attendance --format redcap` and `redcap-dictionary`) gives
back data that REDCap's Data Import Tool takes against that dictionary: every column of the
form is a field of the dictionary, every value a valid code or number for its field, on the
record and event columns of the delivery export.
"""

import csv
import io
import shutil

import pytest
import yaml
from questionnaire_helpers import answer

from p4p import create_app
from p4p.modules.curriculum.service import PACKAGED_CONTENT
from p4p.modules.reports.redcap import DICTIONARY_COLUMNS


def _field(name, kind, label, choices="", validation="", low="", high="", required=""):
    row = dict.fromkeys(DICTIONARY_COLUMNS, "")
    row.update({
        "Variable / Field Name": name, "Form Name": "coping", "Field Type": kind,
        "Field Label": label, "Choices, Calculations, OR Slider Labels": choices,
        "Text Validation Type OR Show Slider Number": validation, "Text Validation Min": low,
        "Text Validation Max": high, "Required Field?": required,
    })  # fmt: skip
    return row


# As REDCap's Dictionary download writes it: record_id first, labels with commas in them.
FIELDS = [
    _field("record_id", "text", "Record ID"),
    _field("coping_often", "radio", "How often did you use a coping skill?",
           "1, Never, or almost never | 2, Sometimes, now and then | 3, Often, most days",
           required="y"),
    _field("coping_helped", "yesno", "Did it help?", required="y"),
    _field("coping_days", "text", "On how many days?", validation="integer", low="0",
           high="7", required="y"),
    _field("coping_calm", "slider", "How calm do you feel?", "Not calm | | Very calm",
           validation="number", low="0", high="10"),
]  # fmt: skip
SCHEDULE = {arm: {"weekly": {"window_days": 3}} for arm in ("partners4pain", "keys_to_wellbeing")}
SCORE = {"name": "coping_total", "method": "sum", "items": ["coping_often", "coping_calm"],
         "min_answers": 1}  # fmt: skip


def _dictionary_text() -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, DICTIONARY_COLUMNS)
    writer.writeheader()
    writer.writerows(FIELDS)
    return buffer.getvalue()


@pytest.fixture
def content(app_config, tmp_path):
    """The shipped content copied, with the dictionary's form imported by the command and
    then scheduled weekly in both programs, with a score, as a study would."""
    folder = tmp_path / "content"
    shutil.copytree(PACKAGED_CONTENT, folder)
    dictionary = tmp_path / "dictionary.csv"
    dictionary.write_text(_dictionary_text(), encoding="utf-8")
    out = folder / "instruments" / "coping.yaml"
    importer = create_app(app_config)
    args = ["instruments", "import-redcap", str(dictionary), "--form", "coping", "--out", str(out)]
    result = importer.test_cli_runner().invoke(args=args)
    importer.extensions["p4p.engine"].dispose()
    assert result.exit_code == 0, result.output
    instrument = yaml.safe_load(out.read_text(encoding="utf-8"))
    instrument.update(scores=[SCORE], schedule=SCHEDULE)
    out.write_text(yaml.safe_dump(instrument, allow_unicode=True, sort_keys=False))
    return folder


@pytest.fixture
def app_config(app_config, request):
    if "content" not in request.fixturenames:
        return app_config
    return {**app_config, "CONTENT_DIR": str(request.getfixturevalue("content"))}


def _valid(field: dict, value: str) -> bool:
    """Would REDCap's Data Import Tool take `value` for this dictionary field?"""
    if value == "":
        return True
    kind, validation = field["Field Type"], field["Text Validation Type OR Show Slider Number"]
    low, high = field["Text Validation Min"], field["Text Validation Max"]
    if kind in ("radio", "dropdown"):
        codes = [part.split(",", 1)[0].strip() for part in
                 field["Choices, Calculations, OR Slider Labels"].split("|")]  # fmt: skip
        return value in codes
    if kind == "yesno":
        return value in ("0", "1")
    if kind == "slider" or validation in ("integer", "number"):
        try:
            number = int(value) if kind == "slider" or validation == "integer" else float(value)
        except ValueError:
            return False
        low_ok = low == "" or number >= float(low)
        high_ok = high == "" or number <= float(high)
        return low_ok and high_ok and (kind != "slider" or 0 <= number <= (float(high or 100)))
    return kind in ("text", "notes")


def test_a_redcap_form_goes_in_is_answered_and_comes_back_as_importable_data(
    app, factory, runner, content
):
    assert "coping" in app.extensions["p4p.program"].instruments
    amy = factory.participant(factory.cohort())
    dee = factory.participant(factory.cohort(arm="keys_to_wellbeing"))
    answer(app, amy, "coping", "week-3", ["2", "1", "5", "7"])
    answer(app, dee, "coping", "week-3", ["3", "0", "0", ""])  # calm left unanswered

    exported = runner.invoke(args=["export", "attendance", "--format", "redcap"])
    assert exported.exit_code == 0, exported.output
    dictionary = runner.invoke(args=["export", "attendance", "--format", "redcap-dictionary"])
    assert dictionary.exit_code == 0, dictionary.output
    fields = {
        row["Variable / Field Name"]: row for row in csv.DictReader(io.StringIO(dictionary.stdout))
    }
    form = [name for name, row in fields.items() if row["Form Name"] == "coping"]
    assert form == ["coping_often", "coping_helped", "coping_days", "coping_calm", "coping_total"]
    assert fields["coping_often"]["Required Field?"] == "y"
    assert fields["coping_calm"]["Required Field?"] == ""
    assert (
        fields["coping_often"]["Choices, Calculations, OR Slider Labels"]
        == FIELDS[1]["Choices, Calculations, OR Slider Labels"]
    )

    rows = list(csv.reader(io.StringIO(exported.stdout)))
    header, records = rows[0], [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
    assert header[:2] == ["record_id", "redcap_event_name"]
    delivery = [name for name in header[2:] if name.startswith("p4p_")]
    questionnaire = header[2 + len(delivery) :]
    assert set(questionnaire) <= set(fields)  # every questionnaire column is a field
    # The form's columns are its fields, all of them, in order (the shipped PEG's are others).
    assert [name for name in questionnaire if fields[name]["Form Name"] == "coping"] == form
    assert [name for name in questionnaire if name.startswith("coping_")] == form
    assert set(header) - {"redcap_event_name"} <= set(fields)  # nothing REDCap would not know
    by_event = {(r["record_id"], r["redcap_event_name"]): r for r in records}
    assert set(by_event) == {
        (amy.study_id, "program_arm_1"), (amy.study_id, "week_3_arm_1"),
        (dee.study_id, "program_arm_1"), (dee.study_id, "week_3_arm_1"),
    }  # fmt: skip
    amys = by_event[(amy.study_id, "week_3_arm_1")]
    assert [amys[name] for name in form] == ["2", "1", "5", "7", "9"]
    dees = by_event[(dee.study_id, "week_3_arm_1")]
    assert [dees[name] for name in form] == ["3", "0", "0", "", "3"]
    for record in records:
        for name in form:
            assert _valid(fields[name], record[name]), (name, record[name], fields[name])
    assert all(by_event[(p.study_id, "program_arm_1")]["coping_often"] == "" for p in (amy, dee))


@pytest.mark.parametrize(
    ("value", "field", "valid"),
    [
        ("2", 1, True),
        ("Sometimes, now and then", 1, False),  # a label, not its code
        ("Yes", 2, False),
        ("1", 2, True),
        ("8", 3, False),  # above the max
        ("7", 4, True),
        ("11", 4, False),
    ],
)
def test_the_round_trips_check_of_a_value_can_fail(value, field, valid):
    assert _valid(FIELDS[field], value) is valid
