"""How hard a new password is to guess: the zxcvbn estimate, taught German.

zxcvbn (a port of Dropbox's estimator) finds the parts a guesser tries first: words of its
frequency lists, keyboard rows, repeats, sequences, years and dates, and the person's own name
and address. KoKoMa adds a German list (``kokoma/data/german_passwords.txt``: words, names,
cities, months, football clubs, ``qwertz``…), the German keyboard as a layout of its own, every
year up to now as a "recent year", and the passwords published in this project (demo, tests,
the famous "correct horse battery staple"). Each pattern found is told in our own translated
sentence; zxcvbn's English feedback is not shown.
"""
import re
import threading
from datetime import date
from importlib import resources

from flask_babel import lazy_gettext as _l
from zxcvbn import matching, scoring, zxcvbn

MIN_LENGTH = 12
# zxcvbn's score: 4 is "very unguessable", 10^10 guesses and more; 3 lets "Sommer2026!!" through.
MIN_SCORE = 4
# Only so much is estimated (zxcvbn's time grows with the length); the rest makes it stronger.
ESTIMATED_LENGTH = 100
# Digits in a row that are refused whatever the estimate says: dates, phone numbers, PINs.
LONG_DIGIT_RUN = re.compile(r"\d{6,}")
# Passwords this project has published: whoever reads the repository knows them.
PUBLISHED = (
    "correcthorsebatterystaple", "correct horse battery staple", "correct horse battery",
    "correcthorsebattery", "kokoma-demo-2026", "kokomademo2026",
)
# The German keyboard (T1 layout), row by row, as zxcvbn's build script lays out qwerty.
QWERTZ = """
^° 1! 2" 3§ 4$ 5% 6& 7/ 8( 9) 0= ß? ´`
    qQ wW eE rR tT zZ uU iI oO pP üÜ +*
     aA sS dD fF gG hH jJ kK lL öÖ äÄ #'
   <> yY xX cC vV bB nN mM ,; .: -_
"""
_FOLDINGS = (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss"))

REASONS = {
    "user_inputs": _l("It contains your name, your e-mail address or the word KoKoMa."),
    "published": _l("It is a password published as an example; everybody can look it up."),
    "reversed": _l("It contains a common word spelled backwards."),
    "l33t": _l("It contains a common word with letters swapped for digits or signs (like 4 for a), a well-known trick."),
    "dictionary": _l("It contains a common word, name or password (like passwort, sommer or a first name)."),
    "spatial": _l("It contains keys that lie next to each other on the keyboard (like qwertz or asdf)."),
    "repeat": _l("It repeats characters or blocks (like aaa or abcabc)."),
    "sequence": _l("It contains a sequence (like abc, 1234 or 9876)."),
    "regex": _l("It contains a year."),
    "date": _l("It contains a date."),
    "digits": _l("It contains a long run of digits (like a date, a phone number or a PIN)."),
}

_lock = threading.Lock()  # zxcvbn keeps the user inputs of a call in a module-level dictionary


def problems(password: str, user_inputs: list[str]) -> list:
    """What makes ``password`` weak, in words (lazy strings); empty when it is strong enough."""
    found = []
    if len(password) < MIN_LENGTH:
        found.append(_l("The password needs at least %(n)d characters.", n=MIN_LENGTH))
    reasons = [r for r in _weak_parts(password, user_inputs)]
    if LONG_DIGIT_RUN.search(password) and "digits" not in reasons:
        reasons.append("digits")
    if reasons:
        found.append(_l("This password is too easy to guess."))
        found.extend(REASONS[reason] for reason in reasons)
        found.append(_l("Several unusual words in a row make a strong password that is easy to remember."))
    return found


def _weak_parts(password: str, user_inputs: list[str]) -> list[str]:
    """The kinds of guessable parts zxcvbn found, in order, when the whole scores below MIN_SCORE."""
    with _lock:
        result = zxcvbn(password[:ESTIMATED_LENGTH], user_inputs=user_inputs, max_length=ESTIMATED_LENGTH)
    if result["score"] >= MIN_SCORE:
        return []
    reasons = []
    for match in result["sequence"]:
        reason = _reason(match)
        if reason and reason not in reasons:
            reasons.append(reason)
    return reasons or ["dictionary"]


def _reason(match: dict) -> str | None:
    pattern = match["pattern"]
    if pattern == "dictionary":
        if match["dictionary_name"] in ("user_inputs", "published"):
            return match["dictionary_name"]
        if match.get("reversed"):
            return "reversed"
        if match.get("l33t"):
            return "l33t"
        return "dictionary"
    if pattern == "bruteforce":
        return None
    if pattern == "regex" and match.get("regex_name") != "recent_year":
        return None
    return pattern


def _german_words() -> list[str]:
    text = resources.files("kokoma").joinpath("data/german_passwords.txt").read_text(encoding="utf-8")
    words = []
    for line in text.splitlines():
        word = line.strip().lower()
        if not word or word.startswith("#"):
            continue
        variants = [word, _fold(word, {a: b for a, b in _FOLDINGS}), _fold(word, {a: b[0] for a, b in _FOLDINGS})]
        words.extend(v for v in variants if v not in words)
    return words


def _fold(word: str, table: dict) -> str:
    return "".join(table.get(char, char) for char in word)


def _adjacency_graph(layout: str) -> dict:
    """A slanted keyboard's adjacency graph, as zxcvbn's build_keyboard_adjacency_graphs.py
    makes it: for each character, its neighbours left, up-left, up-right, right, down-right and
    down-left (None at an edge), each as the two characters of the key."""
    positions = {}
    for y, line in enumerate(layout.split("\n")):
        slant = y - 1
        for match in re.finditer(r"\S+", line):
            x, remainder = divmod(match.start() - slant, 3)
            assert remainder == 0, f"{match.group()} is out of line"
            positions[(x, y)] = match.group()
    graph = {}
    for (x, y), key in positions.items():
        neighbours = [positions.get(c) for c in ((x - 1, y), (x, y - 1), (x + 1, y - 1), (x + 1, y), (x, y + 1), (x - 1, y + 1))]
        for char in key:
            graph[char] = neighbours
    return graph


def _teach_zxcvbn() -> None:
    """Once per process: the German list, the published passwords, the German keyboard, years."""
    matching.add_frequency_lists({"german": _german_words(), "published": list(PUBLISHED)})
    matching.GRAPHS["qwertz"] = _adjacency_graph(QWERTZ)
    matching.REGEXEN["recent_year"] = re.compile(r"19\d\d|20\d\d")
    scoring.REFERENCE_YEAR = date.today().year


_teach_zxcvbn()
