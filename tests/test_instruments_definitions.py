"""Instrument files: every rule refuses a bad file with the file and the item or field named;
the shipped PEG and the example questionnaires validate; start-up and both checks refuse a bad one."""

import copy
import shutil
from pathlib import Path

import pytest
import yaml

from p4p.modules.curriculum.service import PACKAGED_CONTENT, ContentError, read_program
from p4p.modules.instruments.definitions import parse_instrument, read_instruments

LANGUAGES = ("en", "es")
ARMS = {"partners4pain": 9, "keys_to_wellbeing": 9}
EXAMPLES = Path(__file__).parent.parent / "examples" / "mediators"
PATH = "instruments/check.yaml"


def _text(en: str) -> dict:
    return {"en": en, "es": f"{en} (es)"}


VALID = {
    "key": "check",
    "title": _text("A check"),
    "intro": _text("Pick one."),
    "items": [
        {
            "name": "pain",
            "type": "scale_0_10",
            "text": _text("How bad?"),
            "anchors": {0: _text("None"), 10: _text("Worst")},
            "required": True,
        },
        {
            "name": "worry",
            "type": "choice",
            "text": _text("Worried?"),
            "choices": [{"code": 1, "label": _text("No")}, {"code": 2, "label": _text("Yes")}],
            "reverse": True,
        },
        {"name": "walked", "type": "yes_no", "text": _text("Walked?")},
        {"name": "hours", "type": "number", "text": _text("Hours?"), "min": 0, "max": 24},
        {"name": "note", "type": "short_text", "text": _text("Anything else?"), "max_length": 80},
    ],
    "scores": [{"name": "total", "method": "sum", "items": ["pain", "worry"], "min_answers": 2}],
    "schedule": {
        "partners4pain": {
            "weekly": {"window_days": 3},
            "months": {"at": [2, 4, 6], "window_days": 14},
            "after_session": {"sessions": [1], "window_days": 2},
        },
        "keys_to_wellbeing": {"at_enrolment": {"window_days": 7}},
    },
}


def _problems(raw) -> list[str]:
    _instrument, problems = parse_instrument(raw, PATH, LANGUAGES, ARMS)
    return problems


def _item(raw: dict, name: str) -> dict:
    return next(item for item in raw["items"] if item["name"] == name)


def test_a_valid_instrument_reads_into_its_parts():
    instrument, problems = parse_instrument(VALID, PATH, LANGUAGES, ARMS)
    assert problems == []
    assert [item.type for item in instrument.items] == [
        "scale_0_10", "choice", "yes_no", "number", "short_text",
    ]  # fmt: skip
    assert instrument.item("pain").high_label == {"en": "Worst", "es": "Worst (es)"}
    assert instrument.item("worry").codes == (1, 2) and instrument.item("worry").reverse
    assert instrument.item("hours").maximum == 24 and not instrument.item("hours").decimal
    assert instrument.scores[0].items == ("pain", "worry")
    weekly, months, after = instrument.schedule["partners4pain"]
    assert (weekly.kind, weekly.window_days) == ("weekly", 3)
    assert months.months == (2, 4, 6) and after.sessions == (1,)
    assert instrument.schedule["keys_to_wellbeing"][0].kind == "at_enrolment"


def _set(path: str, value):
    """A change to VALID: `path` is keys and item names (items.<name>.field) separated by dots."""

    def change(raw):
        *parents, last = path.split(".")
        node = raw
        for part in parents:
            node = (
                next(i for i in node if i["name"] == part) if isinstance(node, list) else node[part]
            )
        node[last] = value

    return change


BAD_FILES = [
    (_set("items.pain.type", "slider"),
     "instruments/check.yaml, item pain: type 'slider' is not one of choice, scale_0_10, yes_no, number, short_text"),
    (_set("items.pain.name", "Pain"), "item 1: name 'Pain' must be lowercase letters"),
    (_set("items.pain.name", "p" * 27), "item 1: name 'ppppppppppppppppppppppppppp' must be"),
    (_set("items.worry.name", "pain"), "item pain: the name is used twice"),
    (_set("items.pain.text", {"en": "How bad?"}), "item pain, text: has no es text (write es: ..."),
    (_set("title", {"en": "A check", "es": " "}), "check.yaml, title: has no es text"),
    (_set("intro", "Pick one."), "check.yaml, intro: needs a text per language, like {en: ..., es: ...}"),
    (_set("items.pain.lable", "x"), "item pain: unknown field 'lable'"),
    (_set("colour", "blue"), "check.yaml: unknown field 'colour'"),
    (_set("key", "other"), "key: must be the file's name without .yaml, 'check' (found 'other')"),
    (_set("items", []), "check.yaml, items: must list at least one item"),
    (_set("items.worry.choices", [{"code": 1, "label": _text("No")}]),
     "item worry, choices: must list at least two choices"),
    (_set("items.worry.choices", [{"code": "a", "label": _text("No")}, {"code": 2, "label": _text("Y")}]),
     "item worry, choices 1: code 'a' must be a whole number"),
    (_set("items.worry.choices", [{"code": 2, "label": _text("No")}, {"code": 2, "label": _text("Y")}]),
     "item worry, choices 2: code 2 is used twice"),
    (_set("items.worry.choices", [{"code": 1, "label": {"en": "No"}}, {"code": 2, "label": _text("Y")}]),
     "item worry, choices 1, label: has no es text"),
    (_set("items.pain.anchors", {0: _text("None")}), "item pain, anchors: must label 0 and 10"),
    (_set("items.pain.anchors", {0: _text("None"), 10: {"en": "Worst"}}), "item pain, anchors, 10: has no es text"),
    (_set("items.hours.max", 0), "item hours, max: must be above min (0), found 0"),
    (_set("items.hours.min", 0.5), "item hours, min: must be a whole number (or set decimal: true)"),
    (_set("items.note.max_length", 0), "item note, max_length: must be a whole number from 1 to 2000"),
    (_set("items.pain.required", "yes"), "item pain, required: must be true or false (found 'yes')"),
    (_set("items.walked.reverse", True), "item walked, reverse: only choice and scale_0_10 items can be reverse-scored"),
]  # fmt: skip


def _score(**changes):
    def change(raw):
        raw["scores"][0].update(changes)

    return change


def _schedule(arm: str, occasions):
    def change(raw):
        raw["schedule"][arm] = occasions

    return change


def _naming_an_arm(raw):
    raw["title"]["es"] = "Cuestionario de Keys to Wellbeing"


def _a_choice_naming_an_arm(raw):
    raw["items"][1]["choices"][0]["label"]["en"] = "Only in partners4pain"


BAD_FILES += [
    (_score(items=["pain", "mood"]), "score total, items: 'mood' is not an item of this instrument"),
    (_score(items=["pain", "note"]), "score total, items: note is a short_text item; a score adds only"),
    (_score(method="median"), "score total, method: 'median' is not one of sum, mean"),
    (_score(min_answers=3), "score total, min_answers: must be a whole number from 1 to 2"),
    (_score(name="pain"), "score pain: the name is already an item's or a score's"),
    (_schedule("usual_care", {"weekly": {"window_days": 3}}),
     "schedule: 'usual_care' is not an arm of the program (arms: partners4pain, keys_to_wellbeing)"),
    (_schedule("partners4pain", {"daily": {"window_days": 1}}), "schedule partners4pain, daily: 'daily' is not one of"),
    (_schedule("partners4pain", {"weekly": {"window_days": 0}}),
     "schedule partners4pain, weekly, window_days: must be a whole number from 1 to 7"),
    (_schedule("partners4pain", {"weekly": {"window_days": 8}}), "weekly, window_days: must be a whole number from 1 to 7"),
    (_schedule("partners4pain", {"months": {"at": [4, 2], "window_days": 14}}),
     "schedule partners4pain, months, at: must list whole numbers from 1 to 60, rising"),
    (_schedule("partners4pain", {"before_session": {"sessions": [10], "window_days": 1}}),
     "schedule partners4pain, before_session, sessions: must list whole numbers from 1 to 9"),
    (_schedule("partners4pain", {"weekly": {"window": 3}}), "schedule partners4pain, weekly: unknown field 'window'"),
    (_naming_an_arm, "check.yaml, title: the es text names the arm 'keys to wellbeing'"),
    (_a_choice_naming_an_arm, "check.yaml, item worry: the en text names the arm 'partners4pain'"),
]  # fmt: skip


@pytest.mark.parametrize(("change", "message"), BAD_FILES)
def test_a_bad_instrument_is_refused_naming_the_file_and_field(change, message):
    raw = copy.deepcopy(VALID)
    change(raw)
    instrument, problems = parse_instrument(raw, PATH, LANGUAGES, ARMS)
    assert instrument is None
    assert any(message in problem for problem in problems), problems


def test_every_problem_is_reported_not_only_the_first():
    raw = copy.deepcopy(VALID)
    _item(raw, "walked")["type"] = "slider"
    _item(raw, "worry")["text"] = {"en": "Worried?"}
    raw["schedule"]["usual_care"] = {"weekly": {"window_days": 3}}
    problems = _problems(raw)
    assert len(problems) == 3, problems
    assert "item walked: type 'slider'" in problems[1]
    assert "item worry, text: has no es text" in problems[0]
    assert "'usual_care' is not an arm" in problems[2]


def test_a_file_that_is_not_yaml_is_named(tmp_path):
    (tmp_path / "instruments").mkdir()
    (tmp_path / "instruments" / "broken.yaml").write_text("key: [unclosed\n")
    instruments, problems = read_instruments(tmp_path, LANGUAGES, ARMS)
    assert instruments == {}
    assert len(problems) == 1 and "broken.yaml: not readable YAML" in problems[0]


def test_the_shipped_peg_validates_as_published():
    program, problems = read_program(PACKAGED_CONTENT)
    assert problems == []
    peg = program.instruments["peg"]
    assert [item.name for item in peg.items] == ["peg_pain", "peg_enjoyment", "peg_activity"]
    assert all(item.type == "scale_0_10" and item.required for item in peg.items)
    assert all(set(item.text) == {"en", "es"} for item in peg.items)
    (score,) = peg.scores
    assert (score.method, score.min_answers, len(score.items)) == ("mean", 3, 3)
    # The weekly check-in of both arms (7 days from each week's meeting day), and the 2, 4 and
    # 6 month follow-ups (14 days from the participant's own start plus the months).
    assert set(peg.schedule) == set(program.arms)
    for occasions in peg.schedule.values():
        assert [(o.kind, o.window_days, o.months) for o in occasions] == [
            ("weekly", 7, ()),
            ("months", 14, (2, 4, 6)),
        ]
    assert "Krebs" in (PACKAGED_CONTENT / "instruments" / "peg.yaml").read_text()


def test_the_example_folder_is_a_whole_valid_program_with_labelled_examples():
    program, problems = read_program(EXAMPLES)
    assert problems == []
    examples = [i for key, i in program.instruments.items() if key.startswith("example_")]
    assert len(examples) == 3 and "peg" in program.instruments
    for example in examples:
        assert "Example (not a validated measure)" in example.title["en"], example.key
        assert "Ejemplo (no es una medida validada)" in example.title["es"], example.key
        assert 3 <= len(example.items) <= 4
        assert any(item.reverse for item in example.items), example.key
        assert all(
            [occasion.kind for occasion in occasions] == ["weekly"]
            for occasions in example.schedule.values()
        ) and set(example.schedule) == set(program.arms)
    assert "not validated measures" in (EXAMPLES / "README.md").read_text()


def _content_with(tmp_path: Path, change) -> Path:
    """A copy of the shipped content whose PEG file is changed by `change(raw) -> None`."""
    content = tmp_path / "content"
    shutil.copytree(PACKAGED_CONTENT, content)
    path = content / "instruments" / "peg.yaml"
    raw = yaml.safe_load(path.read_text())
    change(raw)
    path.write_text(yaml.safe_dump(raw, allow_unicode=True))
    return content


def _slider_pain(raw):
    raw["items"][0]["type"] = "slider"


def test_the_app_refuses_to_start_on_a_bad_instrument(app_config, tmp_path):
    from p4p import create_app
    from p4p.modules.curriculum.service import load_program

    app_config["CONTENT_DIR"] = str(_content_with(tmp_path, _slider_pain))
    load_program.cache_clear()
    with pytest.raises(ContentError) as refused:
        create_app(app_config)
    assert any(
        "instruments/peg.yaml, item peg_pain: type 'slider' is not one of" in p
        for p in refused.value.problems
    ), refused.value.problems


def test_curriculum_check_fails_on_a_bad_instrument_naming_it(runner, tmp_path):
    content = _content_with(tmp_path, _slider_pain)
    result = runner.invoke(args=["curriculum", "check", "--content-dir", str(content)])
    assert result.exit_code == 1
    assert "INVALID" in result.output
    assert "instruments/peg.yaml, item peg_pain: type 'slider'" in result.output


def test_instruments_check_lists_the_shipped_and_the_examples(runner):
    result = runner.invoke(args=["instruments", "check"])
    assert result.exit_code == 0, result.output
    assert "peg" in result.output and "1 instruments valid" in result.output
    assert "not scheduled" not in result.output
    assert "partners4pain: weekly, months 2/4/6; keys_to_wellbeing: weekly, months 2/4/6" in (
        result.output
    )
    result = runner.invoke(args=["instruments", "check", "--content-dir", str(EXAMPLES)])
    assert result.exit_code == 0, result.output
    assert "example_pain_thoughts" in result.output and "4 instruments valid" in result.output
    assert "partners4pain: weekly" in result.output


def test_instruments_check_fails_naming_the_file_and_item(runner, tmp_path):
    def no_spanish(raw):
        del raw["items"][1]["text"]["es"]

    content = _content_with(tmp_path, no_spanish)
    result = runner.invoke(args=["instruments", "check", "--content-dir", str(content)])
    assert result.exit_code == 1
    assert "instruments/peg.yaml, item peg_enjoyment, text: has no es text" in result.output
    assert "instruments valid" not in result.output


def test_a_questionnaire_naming_an_arm_by_its_label_is_refused_everywhere_it_is_read(
    runner, tmp_path
):
    # An arm's label is what a coordinator reads ("Keys to Wellbeing"); a questionnaire text may
    # name it in words that share nothing with the key, and every participant would see it.
    def label_in_intro(raw):
        raw["intro"]["en"] += " As in Keys to Wellbeing."

    content = _content_with(tmp_path, label_in_intro)
    program_yaml = content / "program.yaml"
    definition = yaml.safe_load(program_yaml.read_text())
    for arm in definition["arms"]:
        arm["key"] = {"partners4pain": "arm_a", "keys_to_wellbeing": "arm_b"}[arm["key"]]
    program_yaml.write_text(yaml.safe_dump(definition, allow_unicode=True))
    for old, new in (("partners4pain", "arm_a"), ("keys_to_wellbeing", "arm_b")):
        (content / old).rename(content / new)
    message = "instruments/peg.yaml, intro: the en text names the arm 'Keys to Wellbeing'"
    _program, problems = read_program(content)
    assert any(message in problem for problem in problems), problems
    result = runner.invoke(args=["instruments", "check", "--content-dir", str(content)])
    assert result.exit_code == 1 and message in result.output, result.output
