"""Place names as users write them: case, spacing and the routine variants of Arabic script.

A name is matched after the usual Arabic normalisation (as in search engines and gazetteers):
vowel marks (harakat, tanwin, shadda, sukun, superscript alef) and tatweel are dropped; alef with
hamza above or below, with madda and wasla is plain alef; ta marbuta is ha; alef maqsura is ya;
hamza on waw or ya is the bare letter. Latin script is case-folded. So `ابو كبير` finds
`أبو كبير`, `حِمْص` and `حمـص` find `حمص`, and `القاهره` finds `القاهرة`.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable

# U+064B..U+065F: tanwin, harakat, shadda, sukun, hamza marks; U+0670 superscript alef;
# U+06D6..U+06ED: Quranic annotation marks; U+0640 tatweel (kashida, a stretching stroke).
_MARKS = re.compile("[\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")
_LETTERS = str.maketrans(
    {
        "\u0622": "\u0627",  # alef with madda above -> alef
        "\u0623": "\u0627",  # alef with hamza above -> alef
        "\u0625": "\u0627",  # alef with hamza below -> alef
        "\u0671": "\u0627",  # alef wasla -> alef
        "\u0629": "\u0647",  # ta marbuta -> ha
        "\u0649": "\u064a",  # alef maqsura -> ya
        "\u0624": "\u0648",  # waw with hamza above -> waw
        "\u0626": "\u064a",  # ya with hamza above -> ya
        "\u06cc": "\u064a",  # Farsi ya -> ya
    }
)
_SPACE = re.compile(r"\s+")


def normalise(name: str) -> str:
    """The form names are compared in: NFKC (presentation forms become letters), the marks and
    letter variants above unified, case-folded, inner whitespace collapsed."""
    text = unicodedata.normalize("NFKC", name)
    text = _MARKS.sub("", text).translate(_LETTERS)
    return _SPACE.sub(" ", text).strip().casefold()


class PlaceNames:
    """Place names and aliases in any script, matched after `normalise`.

    `collisions` lists (spelling, first place, second place) for a spelling that would name two
    different places, which a theater must not have (the later one would be unreachable).
    """

    def __init__(self, places: Iterable[tuple[str, Iterable[str]]]):
        self.lookup: dict[str, str] = {}
        self.spellings: dict[str, str] = {}  # normalised -> one spelling as written
        self.written: dict[str, str] = {}  # every spelling, lower-cased -> its place
        self.collisions: list[tuple[str, str, str]] = []
        for name, aliases in places:
            for spelling in [name, *aliases]:
                key = normalise(spelling)
                self.written.setdefault(spelling.strip().lower(), name)
                first = self.lookup.setdefault(key, name)
                self.spellings.setdefault(key, spelling)
                if first != name:
                    self.collisions.append((spelling, first, name))

    def resolve(self, name: str) -> str | None:
        """The place a name or alias stands for, or None."""
        return self.lookup.get(normalise(name))

    def hint(self, name: str) -> str:
        """A ' (did you mean X?)' suffix from the closest name or alias in any script, or ''."""
        close = difflib.get_close_matches(normalise(name), list(self.lookup), n=1, cutoff=0.6)
        if not close:
            return ""
        spelling, place = self.spellings[close[0]], self.lookup[close[0]]
        if spelling == place:
            return f" (did you mean {place!r}?)"
        return f" (did you mean {spelling!r}, i.e. {place!r}?)"
