"""Word counts and reading levels of a week's text.

English: Flesch-Kincaid grade and SMOG grade from textstat (pinned below 0.7.10 because
later releases fetch the CMU dictionary from the network at run time; 0.7.8 counts
syllables with pyphen, offline).

Spanish: textstat counts Spanish syllables with pyphen, which finds hyphenation points,
not syllables ("ideas" 1, "día" 1, "leer" 1), so its scores run easy. Here syllables are
counted by the rules of Spanish syllabification (`spanish_syllables`) and fed to two
Spanish formulas, Fernández-Huerta and Szigriszt-Pazos (INFLESZ).
"""

import re
import unicodedata
from dataclasses import dataclass

import markdown

_BLOCK_END = re.compile(r"</(?:p|li|h[1-6]|blockquote|td|th)>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]+>")
_SENTENCE_END = (".", "!", "?", ":", ";", "…")


def plain_text(markdown_body: str) -> str:
    """The readable text of a Markdown body, one sentence end per block.

    Headings and list items often lack a full stop; without one, a readability
    formula would read a whole list as one endless sentence.
    """
    html = markdown.markdown(markdown_body)
    pieces = []
    for chunk in _BLOCK_END.split(html):
        text = " ".join(_TAG.sub(" ", chunk).split())
        if not text:
            continue
        if not text.endswith(_SENTENCE_END):
            text += "."
        pieces.append(text)
    return " ".join(pieces)


def word_count(text: str) -> int:
    return len(re.findall(r"\w+(?:[’'-]\w+)*", text))


def reading_grade(text: str, language: str = "en") -> float:
    """Flesch-Kincaid grade for English; Fernández-Huerta ease for Spanish.

    The Spanish score runs the other way (higher is easier; 70+ is "fairly easy").
    """
    if language == "es":
        return fernandez_huerta(text)
    import textstat  # here, not at the top: loading the content must not pay for it

    textstat.set_lang("en_US")
    return float(textstat.flesch_kincaid_grade(text))


@dataclass(frozen=True)
class Measure:
    key: str  # the limit's name in program.yaml's reading_level, e.g. "fk_max"
    name: str
    value: float
    limit: float
    higher_is_harder: bool

    @property
    def over_limit(self) -> bool:
        return self.value > self.limit if self.higher_is_harder else self.value < self.limit

    def problem(self) -> str:
        word = "above the study's maximum" if self.higher_is_harder else "below the study's minimum"
        return (
            f"{self.name} {self.value:.1f} is {word} {self.limit:g}"
            f" (reading_level.{self.key} in program.yaml)"
        )


# Defaults when program.yaml names no reading_level. English: the usual patient-material target
# of grade 6 (FK) and SMOG 7.5. Spanish: Fernández-Huerta 70 is the bottom of "algo fácil"
# (about 6th grade, the same target as FK 6); INFLESZ 65 is the bottom of "bastante fácil"
# on Barrio-Cantalejo's scale (55-65 "normal" is what a newspaper asks of its readers).
READING_LIMITS = {"fk_max": 6.0, "smog_max": 7.5, "fernandez_huerta_min": 70.0, "inflesz_min": 65.0}


def measures(text: str, language: str, limits: dict | None = None) -> tuple[Measure, ...]:
    """Both measures of a text in its language, each with the study's limit."""
    limits = {**READING_LIMITS, **(limits or {})}
    if language == "es":
        return (
            Measure(
                "fernandez_huerta_min",
                "Fernández-Huerta",
                fernandez_huerta(text),
                limits["fernandez_huerta_min"],
                higher_is_harder=False,
            ),
            Measure(
                "inflesz_min",
                "INFLESZ",
                inflesz(text),
                limits["inflesz_min"],
                higher_is_harder=False,
            ),
        )
    import textstat

    textstat.set_lang("en_US")
    return (
        Measure(
            "fk_max",
            "Flesch-Kincaid grade",
            float(textstat.flesch_kincaid_grade(text)),
            limits["fk_max"],
            higher_is_harder=True,
        ),
        Measure(
            "smog_max",
            "SMOG grade",
            float(textstat.smog_index(text)),
            limits["smog_max"],
            higher_is_harder=True,
        ),
    )


# --- Spanish ---------------------------------------------------------------------------

_STRONG = set("aeoáéó") | {"í", "ú"}  # an accented i or u is a vowel of its own (hiatus: día)
_WEAK = set("iuü")
_SPANISH_WORD = re.compile(r"[a-záéíóúüñ]+")
_SPANISH_SENTENCE_END = re.compile(r"[.!?…:;]+(?=\s|$)")


def _is_vowel(letter: str) -> bool:
    return letter in _STRONG or letter in _WEAK or letter in "aeiou"


def _vowel_pattern(word: str) -> str:
    """The word's letters as V (strong vowel), W (weak vowel) and C (everything else).

    The u of que/qui/gue/gui is written but not said (queso, guitarra); ü is said
    (pingüino). A y is a vowel only where no vowel follows it (hoy, muy, y), as in
    "reyes" it starts the next syllable.
    """
    pattern = []
    for index, letter in enumerate(word):
        before = word[index - 1] if index else ""
        after = word[index + 1] if index + 1 < len(word) else ""
        if letter in _STRONG:
            pattern.append("V")
        elif letter == "u" and before in ("q", "g") and after in ("e", "i", "é", "í"):
            pattern.append("C")
        elif letter in _WEAK or (letter == "y" and (word == "y" or index and not _is_vowel(after))):
            pattern.append("W")
        else:
            pattern.append("C")
    return "".join(pattern)


def spanish_syllables(word: str) -> int:
    """Syllables of one Spanish word, by the rules of Spanish syllabification.

    Within a run of vowels, each strong vowel (a, e, o, or an accented í or ú) is the
    nucleus of its own syllable: two strong vowels side by side are in hiatus (le-er,
    ca-os, dí-a). Unaccented i and u join the strong vowel next to them (diphthongs and
    triphthongs: a-gua, buey), and a run of only i and u is one syllable (ciu-dad, muy).
    An h between vowels is treated as a consonant (a-ho-ra, pro-hi-bir).
    """
    word = unicodedata.normalize("NFC", word.lower())
    count = 0
    for run in re.findall(r"[VW]+", _vowel_pattern(word)):
        count += max(1, run.count("V"))
    return max(1, count)


def _spanish_counts(text: str) -> tuple[int, int, int]:
    """(sentences, words, syllables); numbers are left out, a formula cannot say them."""
    words = _SPANISH_WORD.findall(unicodedata.normalize("NFC", text.lower()))
    sentences = max(
        1, len([s for s in _SPANISH_SENTENCE_END.split(text) if _SPANISH_WORD.search(s.lower())])
    )
    return sentences, len(words), sum(spanish_syllables(w) for w in words)


def fernandez_huerta(text: str) -> float:
    """Fernández-Huerta ease (1959, as corrected to use words per sentence):
    206.84 − 60 × syllables per word − 1.02 × words per sentence.
    90-100 muy fácil, 80-90 fácil, 70-80 algo fácil (about 6th grade), 60-70 normal."""
    sentences, words, syllables = _spanish_counts(text)
    if not words:
        return 0.0
    return 206.84 - 60 * syllables / words - 1.02 * words / sentences


def inflesz(text: str) -> float:
    """Szigriszt-Pazos perspicuity (1993), read on the INFLESZ scale (Barrio-Cantalejo 2008):
    206.835 − 62.3 × syllables per word − words per sentence.
    80+ muy fácil, 65-80 bastante fácil, 55-65 normal, 40-55 algo difícil, under 40 muy difícil."""
    sentences, words, syllables = _spanish_counts(text)
    if not words:
        return 0.0
    return 206.835 - 62.3 * syllables / words - words / sentences
