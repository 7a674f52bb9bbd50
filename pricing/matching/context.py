"""What the words in front of a part number say about it: the listing *is* that part,
*replaces* it, or merely *fits* it.

A competitor's own part often names ours in its title ("Replacement shaft seal -
replaces RE464325", "Ölfilter, Vergleichsnummer RE504836", "OEM ref. RE504835"): that
listing is an alternative to our part, not our part. "Fits", "for", "compatible with"
say less: the number may be a part the product works with, or a machine ("fits
5075E"), so they never decide alone.

:func:`number_context` reads the words right in front of one number;
:func:`names_what_it_fits` is the coarser check (such a word anywhere before it, or
"compatible" anywhere in the title) that keeps a brandless title's number from
deciding alone. Pure functions over the tokens
:func:`~pricing.matching.normalize.text_tokens` gives.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from pricing.matching.brands import words_of
from pricing.matching.normalize import text_tokens

__all__ = [
    "FITS",
    "REPLACES",
    "NumberContext",
    "names_what_it_fits",
    "number_context",
    "token_words",
]

REPLACES = "replaces"
FITS = "fits"

# Words (a phrase written as its words run together) saying the product replaces the
# number that follows: English, German, French, Spanish, Italian, Dutch, Polish,
# Portuguese, Swedish. Accents are folded (words_of), so "für" is FUR, "d'origine"
# DORIGINE.
_REPLACE_PHRASES = frozenset(
    {
        # en
        "REPLACES", "REPLACE", "REPLACING", "REPLACEMENT", "SUPERSEDES", "INTERCHANGE",
        "INTERCHANGES", "INTERCHANGEABLE", "CROSSREFERENCE", "CROSSREF", "XREF",
        "EQUIVALENT", "SUBSTITUTE", "SUBSTITUTES", "ALTERNATIVE",
        "OEMREF", "OEREF", "OEMREFERENCE", "OEREFERENCE", "OEMNUMBER", "OENUMBER",
        "OEMNO", "OENO", "OEMPARTNUMBER", "OEPARTNUMBER",
        # de
        "ERSETZT", "ERSATZ", "VERGLEICHSNUMMER", "VERGLEICHSNR", "OENUMMER", "OENR",
        "REFERENZNUMMER", "ERSATZTEILNUMMER",
        # fr
        "REMPLACE", "REMPLACEMENT", "EQUIVALENCE", "REFERENCEDORIGINE", "REFERENCEORIGINE",
        "REFERENCEOE", "REFOE",
        # es, pt, it
        "SUSTITUYE", "REEMPLAZA", "REEMPLAZO", "EQUIVALENTE", "REFERENCIAORIGINAL",
        "SUBSTITUI", "SOSTITUISCE", "SOSTITUZIONE", "RIFERIMENTOORIGINALE",
        # nl, pl, sv
        "VERVANGT", "VERVANGING", "VERGELIJKBAAR", "ZAMIENNIK", "ZASTEPUJE", "ODPOWIEDNIK",
        "ERSATTER",
    }
)  # fmt: skip
# "OEM: RE464325" names the original part too, but "OEM" also means "genuine": it
# counts only on a listing whose brand is known and is not the part's.
_OE_LABELS = frozenset({"OE", "OEM", "OES"})
# Words saying the product fits or is compatible with what follows: a part or a machine.
_FITS_WORDS = frozenset(
    {"FITS", "FIT", "FITTING", "FOR", "SUITS", "SUITABLE", "COMPATIBLE", "COMPATIBILE",
     "COMPATIVEL", "KOMPATIBEL", "KOMPATIBLER", "KOMPATIBLE", "PASSEND", "PASST", "FUR",
     "FUER", "POUR", "PARA", "PER", "VOOR", "DLA", "APPLICATION", "APPLICATIONS"}
)  # fmt: skip
# Words that may stand between the phrase and the number ("replacement for", "replaces
# part # RE...", "interchange with", "sustituye a", "replaces ST-0012, ST-0011").
_BETWEEN = frozenset(
    {"TO", "FOR", "WITH", "A", "AN", "THE", "OF", "DE", "DI", "DA", "D", "FUR", "FUER",
     "VON", "PER", "VOOR", "DLA", "AU", "DU", "LA", "MET", "CON", "AVEC", "MIT", "PART",
     "PARTS", "NO", "NR", "NUMBER", "NUMMER", "NUMERO", "N", "PN", "REF", "AND", "OR",
     "ALSO", "Y", "ET", "UND", "E", "EN", "ORIGINAL", "OEM", "OE", "USE", "ON", "MODEL",
     "MODELS", "ALL"}
)  # fmt: skip
_LOOK_BACK = 6  # tokens in front of a number that are read
_PHRASE_WORDS = 3  # the longest phrase, in tokens


@dataclass(frozen=True, slots=True)
class NumberContext:
    """``kind``: :data:`REPLACES` or :data:`FITS`; ``phrase``: the text from the phrase
    to the number, as written (``"replaces John Deere RE464325"``), for the evidence."""

    kind: str
    phrase: str
    oe_label_only: bool = False  # the only phrase is "OE"/"OEM" (see _OE_LABELS)


def token_words(tokens: Sequence[str]) -> list[str]:
    """Each token as one upper-case ASCII word (``d'origine`` -> ``DORIGINE``)."""
    return ["".join(words_of(t)) for t in tokens]


def number_context(
    tokens: Sequence[str],
    start: int,
    end: int,
    skip: Collection[int] = (),
    words: Sequence[str] | None = None,
) -> NumberContext | None:
    """What the words before ``tokens[start:end]`` (a part number) say about it.

    Reads back over at most a few tokens, passing over brand names and other numbers
    (token positions in ``skip``) and small linking words, until a phrase is found
    (``replaces``, ``OEM ref``, ``ersetzt``, ...) or a word that is none of these stops
    the search. ``None`` when nothing is said. ``words``: ``tokens`` as
    :func:`token_words` gives them, when the caller has them already.
    """
    if words is None:
        words = token_words(tokens)
    fits_seen = False
    oe_at: int | None = None
    i = start - 1
    while i >= max(0, start - _LOOK_BACK):
        for n in range(min(_PHRASE_WORDS, i + 1), 0, -1):
            phrase = "".join(words[i - n + 1 : i + 1])
            if phrase in _REPLACE_PHRASES:
                text = " ".join(tokens[i - n + 1 : end])
                return NumberContext(REPLACES, text)
        word = words[i]
        if word in _OE_LABELS and oe_at is None:
            oe_at = i
        if word in _FITS_WORDS:
            fits_seen = True
        if i in skip or word in _BETWEEN or word in _FITS_WORDS or not word:
            i -= 1
            continue
        break
    if oe_at is not None:
        return NumberContext(REPLACES, " ".join(tokens[oe_at:end]), oe_label_only=True)
    if fits_seen:
        return NumberContext(FITS, " ".join(tokens[i + 1 : end]))
    return None


# Words saying a number is what a product fits or replaces, not what it is.
_FITS_BEFORE = frozenset(
    {"FOR", "FITS", "FIT", "REPLACES", "REPLACE", "REPLACEMENT", "FUR", "FUER", "PASSEND",
     "ERSETZT", "POUR", "REMPLACE", "PARA", "PER", "SOSTITUISCE", "VOOR", "DLA"}
)  # fmt: skip
_COMPATIBLE = frozenset(
    {"COMPATIBLE", "KOMPATIBEL", "COMPATIBILE", "COMPATIBEL", "KOMPATYBILNY", "COMPATIVEL",
     "ALTERNATIVE", "ALTERNATIV", "REMANUFACTURED", "NACHBAU"}
)  # fmt: skip


def names_what_it_fits(text: str, start: int) -> bool:
    """Whether the title says the product is compatible with, fits or replaces the
    number at token ``start`` (a word for that anywhere before it, or "compatible"
    anywhere): the coarse check the matcher applies when no brand is given."""
    words = token_words(text_tokens(text))
    return any(w in _FITS_BEFORE for w in words[:start]) or any(
        w in _COMPATIBLE for w in words
    )
