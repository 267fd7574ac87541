"""Word counts and reading grades of a week's text.

textstat is pinned below 0.7.10 because later releases fetch the CMU dictionary
from the network at run time; 0.7.8 counts syllables with pyphen, offline.
"""

import re

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
    import textstat  # here, not at the top: loading the content must not pay for it

    if language == "es":
        textstat.set_lang("es")
        try:
            return float(textstat.fernandez_huerta(text))
        finally:
            textstat.set_lang("en_US")
    textstat.set_lang("en_US")
    return float(textstat.flesch_kincaid_grade(text))
