"""Finding the names a text holds: the case-study check (services.studies) and the pseudonyms
(services.pseudonyms) take a case's names apart the same way."""
import re

# Words of a party's description that name no one by themselves (they are kept in a study).
GENERIC_WORDS = frozenset("""
familie familien verein vereine initiative gruppe gruppen bürger bürgerinnen anwohnende anwohner
jugendliche jugendlichen eltern schule schulen stadt gemeinde kommune verwaltung rat stadtrat
polizei jugendamt kirche moschee gemeinde nachbarschaft nachbarn partei parteien bewohner
menschen kinder personen leute
""".split())
MIN_NAME_WORD = 4
# Words of a person's name that are no name by themselves (for the pseudonyms, which also take a
# name's short words: Uwe, Ott, Eva).
PARTICLES = frozenset("von van der den dem des zum zur del della bin ibn und die das herr frau dr prof".split())


def name_parts(texts, whole_names=(), min_word: int = MIN_NAME_WORD) -> set[str]:
    """The names ``texts`` hold: each part of a list ("A, B und C") of three letters or more, and
    each of its words that is not generic (``min_word`` letters or more); ``whole_names`` as they are."""
    phrases = set(whole_names)
    for text in texts:
        for part in re.split(r"[,;/\n]|\bund\b|\bsowie\b", text or ""):
            part = part.strip(" .()-")
            if len(part) >= 3:
                phrases.add(part)
    words = {w for phrase in phrases for w in re.findall(r"[^\W\d_]+", phrase)
             if len(w) >= min_word and w.lower() not in GENERIC_WORDS and w.lower() not in PARTICLES}
    return phrases | words

