"""A REDCap data dictionary to an instrument and back: what carries over, what is reported,
the round trip, and the `flask instruments import-redcap / export-redcap` commands."""

import csv
import io

import pytest
import yaml

from p4p.modules.curriculum.service import PACKAGED_CONTENT, read_program
from p4p.modules.instruments.definitions import parse_instrument
from p4p.modules.instruments.redcap import (
    DictionaryError,
    dictionary_csv,
    dictionary_rows,
    import_form,
)
from p4p.modules.reports.redcap import DICTIONARY_COLUMNS

LANGUAGES = ("en", "es")
ARMS = {"partners4pain": 9, "keys_to_wellbeing": 9}
# The columns a round trip keeps, by their place in the dictionary.
KEPT = {
    column: DICTIONARY_COLUMNS.index(column)
    for column in (
        "Variable / Field Name", "Form Name", "Field Type", "Field Label",
        "Choices, Calculations, OR Slider Labels", "Text Validation Type OR Show Slider Number",
        "Text Validation Min", "Text Validation Max", "Required Field?",
    )
}  # fmt: skip


def _row(name, form, kind, label, choices="", validation="", low="", high="", **more) -> dict:
    row = dict.fromkeys(DICTIONARY_COLUMNS, "")
    row.update({
        "Variable / Field Name": name, "Form Name": form, "Field Type": kind, "Field Label": label,
        "Choices, Calculations, OR Slider Labels": choices,
        "Text Validation Type OR Show Slider Number": validation,
        "Text Validation Min": low, "Text Validation Max": high,
    })  # fmt: skip
    for key, value in more.items():
        row[{"required": "Required Field?", "branching": "Branching Logic (Show field only if...)",
             "section": "Section Header", "annotation": "Field Annotation",
             "ranking": "Matrix Ranking?", "note": "Field Note"}[key]] = value  # fmt: skip
    return row


# Fields that carry over, in the canonical form an export writes them.
CARRIED = [
    _row("mood_level", "mood", "radio", "How has your mood been?",
         "1, Not at all | 2, A little, but not much | 3, Quite a lot", required="y",
         section="These questions are about the past week."),
    _row("mood_tension", "mood", "slider", "How tense do you feel?", "Calm | | Very tense",
         "number", "0", "10", required="y"),
    _row("mood_sleep", "mood", "text", "Hours of sleep last night", "", "integer", "0", "24"),
    _row("mood_weight", "mood", "text", "Weight in kg", "", "number", "30.5", "250"),
    _row("mood_walked", "mood", "yesno", "Did you go for a walk?"),
    _row("mood_best", "mood", "radio", "The best part of the week", "0, Nothing | 1, Family, friends",
         annotation="p4p: reverse-scored"),
    _row("mood_comment", "mood", "text", "Anything to add? ¿Algo más?"),
    _row("mood_story", "mood", "notes", "Tell us more"),
]  # fmt: skip
# Fields that do not carry over (or not fully): each must be reported by name.
REPORTED = [
    _row("mood_heading", "mood", "descriptive", "<b>About your mood</b>"),
    _row("mood_total", "mood", "calc", "Total", "sum([mood_level],[mood_tension])"),
    _row("mood_photo", "mood", "file", "A photo"),
    _row("mood_when", "mood", "text", "Date", "", "date_ymd"),
    _row("mood_many", "mood", "checkbox", "Which apply?", "1, Tired | 2, Sore"),
    _row("mood_pick", "mood", "dropdown", "Pick one", "1, One | 2, Two"),
    _row("mood_why", "mood", "text", "Why not?", branching="[mood_walked] = '0'"),
    _row("mood_rank", "mood", "radio", "Rank it", "1, First | 2, Second", ranking="y"),
    _row("mood_hint", "mood", "text", "Your town", note="Where you live now"),
]  # fmt: skip
RECORD_ID = _row("record_id", "enrolment", "text", "Record ID")
OTHER_FORM = _row("age", "enrolment", "text", "Age", "", "integer", "18", "120")


def _csv(rows) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=DICTIONARY_COLUMNS)
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


DICTIONARY = _csv([RECORD_ID, OTHER_FORM, *CARRIED, *REPORTED])


def _imported():
    return import_form(DICTIONARY, "mood", LANGUAGES)


def _items(imported) -> dict:
    return {item["name"]: item for item in imported.instrument["items"]}


def test_import_maps_each_field_type_to_an_item_type():
    items = _items(_imported())
    types = {name: item["type"] for name, item in items.items()}
    assert types == {
        "mood_level": "choice", "mood_tension": "scale_0_10", "mood_sleep": "number",
        "mood_weight": "number", "mood_walked": "yes_no", "mood_best": "choice",
        "mood_comment": "short_text", "mood_story": "short_text", "mood_when": "short_text",
        "mood_pick": "choice", "mood_why": "short_text", "mood_rank": "choice",
        "mood_hint": "short_text",
    }  # fmt: skip
    assert "age" not in items and "mood_heading" not in items and "mood_total" not in items


def test_import_keeps_labels_with_commas_codes_bounds_and_required_flags():
    imported = _imported()
    items = _items(imported)
    assert [c["code"] for c in items["mood_level"]["choices"]] == [1, 2, 3]
    assert items["mood_level"]["choices"][1]["label"] == {
        "en": "A little, but not much",
        "es": "A little, but not much",
    }
    assert items["mood_best"]["choices"][1]["label"]["en"] == "Family, friends"
    assert items["mood_best"]["reverse"] is True
    assert items["mood_tension"]["anchors"] == {
        0: {"en": "Calm", "es": "Calm"},
        10: {"en": "Very tense", "es": "Very tense"},
    }
    assert (items["mood_sleep"]["min"], items["mood_sleep"]["max"]) == (0, 24)
    assert items["mood_weight"]["decimal"] is True and items["mood_weight"]["min"] == 30.5
    assert items["mood_level"]["required"] and items["mood_tension"]["required"]
    assert "required" not in items["mood_sleep"]
    assert imported.instrument["intro"]["en"] == "These questions are about the past week."


@pytest.mark.parametrize(
    "warning",
    [
        "the title is the form's name, 'Mood': write the title participants should see",
        "field mood_heading: a descriptive text, not a question: skipped",
        "field mood_total: a calculated field: its calculation is not carried over",
        "field mood_photo: a file upload or signature",
        "field mood_when: validation 'date_ymd' is not carried over",
        "field mood_many: a checkbox takes several answers",
        "field mood_pick: a dropdown, imported as a choice",
        "field mood_why: \"Branching Logic (Show field only if...)\" ([mood_walked] = '0') is not carried over",
        "field mood_rank: \"Matrix Ranking?\" (y) is not carried over",
        "field mood_hint: \"Field Note\" (Where you live now) is not carried over",
        "translate field mood_level into es",
        "translate the title into es",
        "translate the intro into es",
        "no schedule: add one per arm",
    ],
)  # fmt: skip
def test_import_reports_what_it_cannot_carry_over_by_field(warning):
    warnings = _imported().warnings
    assert any(warning in line for line in warnings), warnings


def test_every_skipped_or_changed_field_is_named_in_a_warning():
    warnings = " ".join(_imported().warnings)
    for row in REPORTED:
        assert f"field {row['Variable / Field Name']}:" in warnings


def test_the_imported_instrument_validates_in_both_languages():
    instrument, problems = parse_instrument(_imported().instrument, "mood.yaml", LANGUAGES, ARMS)
    assert problems == []
    assert instrument.item("mood_level").text == {
        "en": "How has your mood been?",
        "es": "How has your mood been?",
    }


def test_a_dictionary_round_trips_names_types_choices_and_validation():
    instrument, problems = parse_instrument(
        import_form(_csv([RECORD_ID, *CARRIED, *REPORTED[:2]]), "mood", LANGUAGES).instrument,
        "mood.yaml",
        LANGUAGES,
        ARMS,
    )
    assert problems == []
    exported = list(dictionary_rows(instrument))
    assert all(len(row) == len(DICTIONARY_COLUMNS) for row in exported)
    for column, index in KEPT.items():
        assert [row[index] for row in exported] == [row[column] for row in CARRIED], column
    annotations = [row[DICTIONARY_COLUMNS.index("Field Annotation")] for row in exported]
    assert annotations == [row["Field Annotation"] for row in CARRIED]


def test_an_exported_instrument_imports_back_to_the_same_items_and_scores():
    peg = read_program(PACKAGED_CONTENT)[0].instruments["peg"]
    imported = import_form(dictionary_csv(peg), "peg", ("en",))
    again, problems = parse_instrument(imported.instrument, "peg.yaml", ("en",), ARMS)
    assert problems == []
    assert "field record_id: the record ID, skipped" in imported.warnings
    assert list(dictionary_rows(again)) == list(dictionary_rows(peg))
    assert again.scores == peg.scores
    assert [item.high_label["en"] for item in again.items] == [
        item.high_label["en"] for item in peg.items
    ]


def test_scores_export_as_read_only_number_fields_that_say_how_they_are_computed():
    peg = read_program(PACKAGED_CONTENT)[0].instruments["peg"]
    *_, score = dictionary_rows(peg, "es")
    by_column = dict(zip(DICTIONARY_COLUMNS, score, strict=True))
    assert by_column["Variable / Field Name"] == "peg_score"
    assert by_column["Field Type"] == "text"
    assert by_column["Text Validation Type OR Show Slider Number"] == "number"
    assert by_column["Field Annotation"] == (
        "@READONLY p4p score: mean of peg_pain, peg_enjoyment, peg_activity; at least 3 answered"
    )
    first = dict(zip(DICTIONARY_COLUMNS, next(iter(dictionary_rows(peg, "es"))), strict=True))
    assert first["Field Label"] == peg.items[0].text["es"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name,form\nx,y\n", 'not a REDCap data dictionary: no column "Variable / Field Name"'),
        (DICTIONARY, "no form 'moods' in the dictionary (forms: enrolment, mood)"),
    ],
)
def test_a_file_that_is_not_a_dictionary_or_lacks_the_form_is_refused(text, message):
    with pytest.raises(DictionaryError, match=message.replace("(", r"\(").replace(")", r"\)")):
        import_form(text, "moods", LANGUAGES)


def test_a_choice_without_whole_number_codes_is_skipped_with_a_warning():
    rows = [RECORD_ID, CARRIED[0], _row("mood_letter", "mood", "radio", "Pick", "a, A | b, B")]
    imported = import_form(_csv(rows), "mood", LANGUAGES)
    assert list(_items(imported)) == ["mood_level"]
    assert any(
        "field mood_letter: choice 'a, A' needs a whole-number code" in w for w in imported.warnings
    )


def test_a_slider_that_is_not_0_to_10_becomes_a_number_item():
    rows = [RECORD_ID, _row("mood_pct", "mood", "slider", "How much?", "None | | All")]
    imported = import_form(_csv(rows), "mood", LANGUAGES)
    assert _items(imported)["mood_pct"] == {
        "name": "mood_pct", "type": "number", "text": {"en": "How much?", "es": "How much?"},
        "min": 0, "max": 100,
    }  # fmt: skip
    assert any("field mood_pct: a slider from 0 to 100" in w for w in imported.warnings)


def test_import_redcap_writes_a_valid_yaml_file_and_prints_the_warnings(runner, tmp_path):
    dictionary = tmp_path / "dictionary.csv"
    dictionary.write_text(DICTIONARY, encoding="utf-8")
    out = tmp_path / "mood.yaml"
    args = ["instruments", "import-redcap", str(dictionary), "--form", "mood", "--out", str(out)]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    assert 'WARNING field mood_why: "Branching Logic' in result.stderr
    assert "WARNING translate field mood_level into es" in result.stderr
    assert "¿Algo más?" in out.read_text(encoding="utf-8")  # UTF-8, not \u escapes
    written = yaml.safe_load(out.read_text(encoding="utf-8"))
    assert written == _imported().instrument
    _instrument, problems = parse_instrument(written, out, LANGUAGES, ARMS)
    assert problems == []


def test_import_redcap_without_out_prints_the_yaml(runner, tmp_path):
    dictionary = tmp_path / "dictionary.csv"
    dictionary.write_text("\ufeff" + _csv([RECORD_ID, CARRIED[0]]), encoding="utf-8")
    result = runner.invoke(args=["instruments", "import-redcap", str(dictionary), "--form", "mood"])
    assert result.exit_code == 0, result.output
    assert yaml.safe_load(result.stdout)["items"][0]["name"] == "mood_level"


def test_import_redcap_writes_nothing_when_the_result_would_not_validate(runner, tmp_path):
    dictionary = tmp_path / "dictionary.csv"
    long_name = "mood_" + "x" * 30
    dictionary.write_text(_csv([RECORD_ID, _row(long_name, "mood", "yesno", "Ok?")]))
    out = tmp_path / "mood.yaml"
    args = ["instruments", "import-redcap", str(dictionary), "--form", "mood", "--out", str(out)]
    result = runner.invoke(args=args)
    assert result.exit_code == 1
    assert f"INVALID mood.yaml, item 1: name '{long_name}' must be" in result.output
    assert "not written" in result.output and not out.exists()


def test_import_redcap_names_a_missing_form(runner, tmp_path):
    dictionary = tmp_path / "dictionary.csv"
    dictionary.write_text(DICTIONARY)
    result = runner.invoke(args=["instruments", "import-redcap", str(dictionary), "--form", "x"])
    assert result.exit_code == 1
    assert "no form 'x' in the dictionary (forms: enrolment, mood)" in result.output


def test_export_redcap_writes_the_dictionary_of_a_shipped_instrument(runner):
    result = runner.invoke(args=["instruments", "export-redcap", "peg", "--language", "es"])
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert tuple(rows[0]) == DICTIONARY_COLUMNS
    assert [row[0] for row in rows[1:]] == [
        "record_id", "peg_pain", "peg_enjoyment", "peg_activity", "peg_score",
    ]  # fmt: skip
    assert rows[2][3] == "slider" and rows[2][4].startswith("En la última semana")
    unknown = runner.invoke(args=["instruments", "export-redcap", "phq9"])
    assert unknown.exit_code == 2 and "no instrument 'phq9' (instruments: peg)" in unknown.output
