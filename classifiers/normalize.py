"""Text normalization: the one view of a message that every rule and the model see.

`normalize(text)` returns a `Normalized`: `.text` is the normalized text, `.original` the text as
written, and `.quote(start, end)` / `.original_span(start, end)` give back exactly the original
characters behind normalized `text[start:end]` (for "Pul5a!!" the span of "pulsa" quotes "Pul5a").

What the normalizer does, in this order:

1. Cap: only the first MAX_SCAN_CHARS (20,000) characters are scanned; the rest is ignored, so a
   huge message costs the same as a long one. `bytes` are decoded as UTF-8 with replacement.
2. Characters, one at a time (a cached table; `str.translate`):
   - emoji that stand for a word become that word (🤫 -> rahasia, 💸 -> uang; slang.yaml `emoji`);
   - lookalike letters become the Latin letter (Cyrillic "р" -> p, Greek "Η" -> h, small capitals;
     confusables.yaml);
   - Unicode NFKC (fullwidth, mathematical and circled letters, ligatures), casefolding, accents
     stripped (é -> e), digits of any script -> 0-9;
   - zero-width, format and control characters, combining marks and apostrophes are removed
     (so "pul<ZWSP>sa" and "don't" stay one word: "pulsa", "dont");
   - "@" and "$" are kept for step 6; every other symbol, punctuation mark, other emoji, surrogate
     or U+FFFD becomes a word separator.
3. Digit groups: "50.000" and "1,500,000" lose their thousands separators ("50000"); every other
   "." and "," becomes a separator.
4. Spaced or dotted letters are joined: in a run of 3+ single letters/digits ("p u l s a",
   "p.u.l.s.a", "p-u-l-5-a") the separators as written decide where words end. The most common
   one is the in-word separator (on a tie, one that is not blank); a different one ends a word
   ("j-a-n-g-a-n b-i-l-a-n-g" -> "jangan bilang", "p u l s a  g r a t i s" with two spaces ->
   "pulsa gratis"); lone letters between such ends stay together. A group becomes one word when
   at least 2 and more than half are letters, unless every one is a one-letter slang word ("u r
   u" stays "you are you"). A joined word of 8-64 letters (digits read as letters) that is not a
   known word is cut into the fewest known words of 2+ letters, if it can be ("j a n g a n b i l
   a n g m a m a" -> "jangan bilang mama"). A spelled word that holds a one-letter word ("s e n d
   a p i c") has no such cut and stays one word ("sendapic"): one-letter words would cut almost
   anything. A uniform separator, even two spaces ("p  u  l  s  a"), is the in-word one.
   When the result would read differently if normalized again (3+ lone letters left that spell
   a word), the run is read as one group.
5. A letter repeated 3+ times is squeezed to one ("pulsaaaa" -> "pulsa", "yukkk" -> "yuk");
   doubles ("maaf", "saat") stay, except in a word that is not known while its single-letter
   form is ("sayangg" -> sayang, "kamuu" -> kamu; known words: lexicon.yaml, slang.yaml).
   Digits are never squeezed.
6. Each word (split on separators) is read once (cached):
   - a slang key becomes its standard word(s) (slang.yaml: "gk" -> tidak, "beta" -> saya);
   - a plain number stays ("0812", "7"), as do amounts and quantities ("50rb", "100k", "rp50000",
     "2jam", "13thn") and listed product tokens ("ps5", "4g"; lexicon.yaml `tokens`);
   - "@"/"$" at the edges of a word are dropped ("@budi" -> budi, "$50" -> 50);
   - a word mixing letters with digits or @/$ is read as letters (0 o, 1 i/l, 3 e, 4 a, 5 s,
     6 g/b, 7 t, 8 b, 9 g/q, @ a, $ s), preferring a reading that is a known word (lexicon.yaml,
     slang.yaml): "pu1sa" -> pulsa, "s3kolah" -> sekolah, "k4mu" -> kamu; then squeezed and looked
     up in the slang map again ("y9" -> yang);
   - a "2" after a word repeats it ("hati2" -> "hati hati", "satu2nya" -> "satu satunya");
   - a word glued to a number is split ("jam7" -> "jam 7", "pulsa50rb" -> "pulsa 50rb",
     "2orang" -> "2 orang"); anything else with digits that is not leetspeak stays as written;
   - an address-like "name@host" is split at the "@".
7. A few words read differently before certain words (slang.yaml `context`): Kupang "ko" is
   "ke" before a person or place ("kirim ko om" -> "kirim ke om"), unless a punctuation mark is
   written between them ("mau pulsa ko? om kasih": the question particle stays "kamu").
8. Output: the words joined by single spaces; no leading or trailing space.

Speed: `.text` is built by a fast path: a translate table, two precompiled regular expressions
that run only when they can change something, and one cached dict lookup per word (a few
microseconds for a chat message; `bench/bench_normalize.py` prints the figure). The map behind
`.quote`/`.original_span` is built lazily, on first use, by a tracked path that runs the same
steps per word: each word's pieces and their place in the word are cached like its reading, so
the map costs about a dict lookup per word, and a piece's original span is worked out only when
a quote asks for it. Spelled-out runs and `context` words need the separators as written; the
fast path takes the tracked steps for those (rare) messages. Tests assert that both paths give
the same text.

Normalizing normalized text changes nothing (for ordinary text; tested on many generated
messages), so rule phrases can be (and are) passed through
`normalize()` when a pack is loaded: a phrase written "gk bilang" or "tidak bilang" matches the
same messages. The data files (slang.yaml, confusables.yaml, lexicon.yaml in classifiers/data/)
are read once, on first use, and checked by classifiers/normalize_data.py.
"""

from __future__ import annotations

import bisect
import itertools
import logging
import re
import unicodedata
from collections.abc import Callable
from typing import Final

from classifiers.normalize_data import NormalizerData, load_data

log = logging.getLogger(__name__)

# Longest text that is scanned; the rest of a longer message is ignored (documented in README).
MAX_SCAN_CHARS: Final = 20_000

# Characters that vanish even though Unicode files them as letters or symbols (fillers that render
# as blank and are used to hide words).
_INVISIBLE: Final = frozenset("\u115f\u1160\u3164\uffa0\u2800\u034f")
_APOSTROPHES: Final = frozenset("'\u2018\u2019\u02bc`\u00b4")
_KEPT_SYMBOLS: Final = frozenset("@$.,")
_LEET: Final = {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "6": "g", "7": "t", "8": "b",
                "9": "g", "@": "a", "$": "s"}
_LEET_ALTERNATIVES: Final = {"1": "l", "6": "b", "9": "q"}
_MAX_CACHED_WORD: Final = 40
_MAX_WORD: Final = 40  # longer tokens mixing letters and digits are not read as leetspeak
_MAX_CACHE: Final = 100_000

# A thousands separator: "50.000", "1,500,000" (the digit before it is kept by the replacement).
_GROUP_SEPARATOR = re.compile(r"([0-9])[.,](?=[0-9]{3}(?![0-9]))")
_SINGLES = re.compile(r"(?<![^ ])(?:[^\W_]|[@$])(?: +(?:[^\W_]|[@$])){2,}(?![^ ])")
_SQUEEZE = re.compile(r"([^\W\d_])\1\1+")
_WORD_SPLIT = re.compile(r"[^ ]+")
_AMOUNT = re.compile(
    r"(?:rp|idr|usd)?[1-9][0-9]*(?:rb|ribu|rebu|rbu|k|jt|juta|m|an|x|th|thn|tahun|jam|j|menit|mnt"
    r"|hari|hr|minggu|mgg|bulan|bln|am|pm|gb|mb|kb|tb|km|cm|kg|gr|g|st|nd|rd|s)?")
_WORD_THEN_NUMBER = re.compile(rf"(.*[^\W\d_])([0-9]+|{_AMOUNT.pattern})")
_NUMBER_THEN_WORD = re.compile(r"([0-9]+)([^\W\d_]+)")
_DOUBLE = re.compile(r"([^\W\d_])\1")
# Indonesian reduplication written with a 2, with an optional suffix: "hati2", "satu2nya".
_REDUPLICATION = re.compile(r"([^\W\d_]{2,})2(nya|an|kan|in|lah|mu|ku)?")
_ADDRESS_AT = re.compile(r"[^\W\d_]{3}@[^\W\d_]{3}")
# Spelled-out runs this long (not themselves a known word) are cut into known words if they can be.
_MIN_SEGMENTED: Final = 8
_MAX_SEGMENTED: Final = 64
# Written between two words, these end a phrase: a slang.yaml `context` reading does not cross them.
_SENTENCE_BREAKS: Final = frozenset(".,;:?!\n\u2026\u061f\uff1f\uff01")

# A piece of a word's reading: (text, start, end, one_to_one) with start/end inside the word;
# one_to_one means text[k] was written as word[start + k].
Piece = tuple[str, int, int, bool]
# How the characters of a piece map to what was written: every one to the piece's whole span
# (a reading that is not letter for letter), character k to span start + k, or one span each.
_WHOLE, _STEP, _CHARS = 0, 1, 2
# A word's piece with its place in the word as split: (text, kind, start, end, spans or None).
_PlanPiece = tuple[str, int, int, int, tuple[tuple[int, int], ...] | None]
# A word's plan: (its slang.yaml `context` key or None, its pieces).
_Plan = tuple[str | None, tuple[_PlanPiece, ...]]


def _group_repl(m: re.Match[str]) -> str:
    return m.group(1)


def _squeeze_repl(m: re.Match[str]) -> str:
    return m.group(1)


class _Tables:
    """Everything derived from the data files, built once on first use."""

    def __init__(self, data: NormalizerData) -> None:
        self.data = data
        self.slang = data.slang
        self.known = data.known
        self.tokens = data.tokens
        self.chars: _CharTable = _CharTable(self)
        ascii_map = bytearray(range(256))
        deleted = bytearray()
        for cp in range(128):
            value = self.chars[cp]
            if value is None:
                deleted.append(cp)
            else:
                assert len(value) == 1 and value.isascii(), (cp, value)
                ascii_map[cp] = ord(value)
        self.ascii_map = bytes(ascii_map)
        self.ascii_delete = bytes(deleted)
        self.words: dict[str, str] = {}  # word as split -> its reading (the fast path)
        self.pieces: dict[str, tuple[Piece, ...]] = {}  # the same with spans (the tracked path)
        self.plans: dict[str, _Plan] = {}  # word as split -> its pieces with spans in the word
        self.context = data.context
        # Words a run of spelled-out letters may be cut into ("jangan bilang mama").
        self.segment_words = frozenset(w for w in self.known if len(w) >= 2 and w.isalpha())
        self.segment_longest = max(map(len, self.segment_words), default=0)

    def fold_char(self, ch: str) -> str | None:
        """What one original character becomes: letters/digits, " " (separator) or None (gone)."""
        emoji = self.data.emoji.get(ch)
        if emoji is not None:
            return f" {emoji} "
        lookalike = self.data.confusables.get(ch)
        if lookalike is not None:
            return lookalike
        if ch in _APOSTROPHES or ch in _INVISIBLE:
            return None
        if ch.isspace():
            return " "
        category = unicodedata.category(ch)
        if category in ("Cc", "Cf", "Mn", "Me"):
            return None
        if category in ("Cs", "Co", "Cn"):
            return " "
        out = []
        for c in unicodedata.normalize("NFKC", ch).casefold():
            for x in unicodedata.normalize("NFD", c):
                if unicodedata.category(x) in ("Mn", "Me") or x in _APOSTROPHES:
                    continue
                x = self.data.confusables.get(x, x)
                if len(x) == 1 and x in _KEPT_SYMBOLS:
                    out.append(x)
                elif len(x) == 1 and x.isdecimal():
                    out.append(str(unicodedata.decimal(x)))
                elif x.isalnum():
                    out.append(x)
                else:
                    out.append(" ")
        return "".join(out) or None


class _CharTable(dict[int, str | None]):
    """A `str.translate` table that folds each code point the first time it is seen."""

    def __init__(self, tables: _Tables) -> None:
        super().__init__()
        self.tables = tables

    def __missing__(self, cp: int) -> str | None:
        value = self.tables.fold_char(chr(cp))
        self[cp] = value
        return value


_TABLES: _Tables | None = None


def _tables() -> _Tables:
    global _TABLES
    if _TABLES is None:
        _TABLES = _Tables(load_data())
    return _TABLES


# ---- reading one word -------------------------------------------------------------------------


def _reading(t: _Tables, word: str, start: int, end: int) -> Piece:
    """A 1:1 letter reading of word[start:end], squeezed and looked up in the slang map."""
    squeezed = _SQUEEZE.sub(_squeeze_repl, word)
    final = t.slang.get(squeezed, squeezed)
    return (final, start, end, final == word)


def _undouble(t: _Tables, word: str) -> str | None:
    """The standard form of an unknown word with doubled letters whose single form is known
    ("sayangg" -> sayang, "kamuu" -> kamu); None when that does not apply ("maaf" stays)."""
    if word in t.known or not _DOUBLE.search(word):
        return None
    single = _DOUBLE.sub(_squeeze_repl, word)
    if len(single) < 3 or single not in t.known:
        return None
    return t.slang.get(single, single)


def _known_reading(t: _Tables, word: str) -> str | None:
    """The letter reading of a leetspeak word that is a known word, or None."""
    if any(c not in _LEET and not c.isalpha() for c in word):
        return None
    default = "".join(_LEET.get(c, c) for c in word)
    squeezed = _SQUEEZE.sub(_squeeze_repl, default)
    if squeezed in t.known:
        return default
    single = _undouble(t, squeezed)
    if single is not None:
        return single
    ambiguous = [i for i, c in enumerate(word) if c in _LEET_ALTERNATIVES]
    if not ambiguous or len(ambiguous) > 4:
        return None
    for choice in itertools.product((False, True), repeat=len(ambiguous)):
        chars = list(default)
        for i, alternative in zip(ambiguous, choice, strict=True):
            if alternative:
                chars[i] = _LEET_ALTERNATIVES[word[i]]
        candidate = "".join(chars)
        if _SQUEEZE.sub(_squeeze_repl, candidate) in t.known:
            return candidate
    return None


def _shift(pieces: list[Piece], by: int) -> list[Piece]:
    return [(text, a + by, b + by, exact) for text, a, b, exact in pieces]


def _read_word(t: _Tables, tok: str) -> list[Piece]:
    """How one word (a run of non-separators) reads; see step 6 of the module docstring."""
    n = len(tok)
    hit = t.slang.get(tok)
    if hit is not None:
        return [(hit, 0, n, False)]
    squeezed = _SQUEEZE.sub(_squeeze_repl, tok)
    if squeezed != tok:  # (the tracked path squeezes the whole text before, so only fast text)
        return [(" ".join(p[0] for p in _read_word(t, squeezed) if p[0]), 0, n, False)]
    if tok.isalpha() or tok in t.tokens:
        single = _undouble(t, tok)
        return [(tok, 0, n, True)] if single is None else [(single, 0, n, False)]
    a, b = 0, n
    while a < b and tok[a] in "@$":
        a += 1
    while b > a and tok[b - 1] in "@$":
        b -= 1
    if a == b:
        return []
    core = tok[a:b]
    if core.isdigit() or core in t.tokens or _AMOUNT.fullmatch(core) or len(core) > _MAX_WORD:
        return [(core, a, b, True)]  # (a long run of letters and digits is a code, not a word)
    for start, end in ((0, n), (a, b)) if (a, b) != (0, n) else ((0, n),):
        known = _known_reading(t, tok[start:end])
        if known is not None:
            return [_reading(t, known, start, end)]
    m = _REDUPLICATION.fullmatch(core)
    if m:
        first = _shift(_read_word(t, m.group(1)), a)
        again = " ".join(text for text, *_ in first) + (m.group(2) or "")
        return [*first, (again, a, b, False)]
    if _ADDRESS_AT.search(core):
        pieces: list[Piece] = []
        offset = a
        for part in core.split("@"):
            pieces += _shift(_read_word(t, part), offset)
            offset += len(part) + 1
        return pieces
    m = _WORD_THEN_NUMBER.fullmatch(core)
    if m and (m.group(1).isalpha() or _known_reading(t, m.group(1)) is not None):
        cut = a + m.end(1)
        return _shift(_read_word(t, m.group(1)), a) + _shift(_read_word(t, m.group(2)), cut)
    m = _NUMBER_THEN_WORD.fullmatch(core)
    if m and (len(m.group(1)) >= 2 or m.group(2) in t.known):
        cut = a + m.end(1)
        return _shift(_read_word(t, m.group(1)), a) + _shift(_read_word(t, m.group(2)), cut)
    if all(c in _LEET or c.isalpha() for c in core):
        letters = sum(map(str.isalpha, core))
        if letters >= 2 and 2 * letters > len(core):
            return [_reading(t, "".join(_LEET.get(c, c) for c in core), a, b)]
    return [(core, a, b, True)]


def _word_pieces(t: _Tables, tok: str) -> tuple[Piece, ...]:
    """`_read_word`, cached, with `one_to_one` only where the lengths allow it."""
    pieces = t.pieces.get(tok)
    if pieces is None:
        pieces = tuple((text, a, b, exact and len(text) == b - a)
                       for text, a, b, exact in _read_word(t, tok))
        if len(tok) <= _MAX_CACHED_WORD:
            if len(t.pieces) >= _MAX_CACHE:
                t.pieces.clear()
            t.pieces[tok] = pieces
    return pieces


def _word_text(t: _Tables, tok: str) -> str:
    text = " ".join(p[0] for p in _read_word(t, tok) if p[0])
    if t.context and _SQUEEZE.sub(_squeeze_repl, tok) in t.context:
        # Not cached: a message holding such a word always takes the fast path's slower branch,
        # which looks at the context, so messages without one pay nothing for it.
        return text
    if len(tok) <= _MAX_CACHED_WORD:
        if len(t.words) >= _MAX_CACHE:
            t.words.clear()
        t.words[tok] = text
    return text


# ---- spelled-out letters (step 4) -------------------------------------------------------------


def _segment(t: _Tables, word: str) -> str | None:
    """`word` cut into the fewest known words of 2+ letters ("janganbilangmama" -> "jangan
    bilang mama"), or None when no such cut covers all of it."""
    n, longest, words = len(word), t.segment_longest, t.segment_words
    best: list[tuple[int, int] | None] = [(0, 0)] + [None] * n  # (words so far, previous cut)
    for i in range(2, n + 1):
        for j in range(max(0, i - longest), i - 1):
            before = best[j]
            if before is not None and word[j:i] in words:
                current = best[i]
                if current is None or before[0] + 1 < current[0]:
                    best[i] = (before[0] + 1, j)
    if best[n] is None:
        return None
    parts = []
    while n > 0:
        cut = best[n]
        assert cut is not None
        parts.append(word[cut[1]:n])
        n = cut[1]
    return " ".join(reversed(parts))


def _join_group(t: _Tables, chars: list[str]) -> str:
    """One group of single characters: joined into a word when it spells one."""
    compact = "".join(chars)
    letters = sum(map(str.isalpha, compact))
    if len(chars) < 2 or letters < 2 or 2 * letters <= len(compact):
        return " ".join(chars)  # mostly digits ("1 2 3 a"): numbers, not a spelled word
    if all(c in t.slang for c in compact):  # "u r u" is three words (you are you), not "uru"
        return " ".join(chars)
    if _MIN_SEGMENTED <= len(compact) <= _MAX_SEGMENTED and compact not in t.known:
        letters_only = "".join(_LEET.get(c, c) for c in compact)  # "ku0tagratis" too
        if letters_only.isalpha():
            return _segment(t, letters_only) or compact
    return compact


def _spelled(t: _Tables, m: re.Match[str], st: list[int] | None, scan: str) -> str:
    """The reading of one run of 3+ single characters (`_SINGLES`), cut into groups where the
    original separator between two characters is not the run's usual one ("j-a-n-g-a-n
    b-i-l-a-n-g": "-" inside words, " " between them; "p u l s a  g r a t i s")."""
    run, first = m.group(), m.start()
    at = [first + i for i, c in enumerate(run) if c != " "]
    chars = [run[i - first] for i in at]
    table = t.chars
    # What was written between two characters (en = st + 1 before squeezing); characters that
    # vanish (zero-width, apostrophes) do not count.
    written = at if st is None else [st[p] for p in at]
    gaps = ["".join(c for c in scan[p + 1:q] if table[ord(c)] is not None)
            for p, q in itertools.pairwise(written)]
    counts: dict[str, int] = {}
    for gap in gaps:
        counts[gap] = counts.get(gap, 0) + 1
    # The in-word separator: the most common one; on a tie, one that is not blank ("a-b c").
    usual = max(counts, key=lambda g: (counts[g], not g.isspace(), -len(g)))
    cut: list[list[str]] = [[chars[0]]]
    for gap, c in zip(gaps, chars[1:], strict=True):
        if gap == usual:
            cut[-1].append(c)
        else:
            cut.append([c])
    # Lone characters next to each other stay together: "pulsa-p u l s a-p.u.l.s.a" has "." as
    # the usual separator, and the spaced "p u l s a" is a word too.
    groups: list[list[str]] = []
    lone = False  # groups[-1] is made of lone characters
    for group in cut:
        if lone and len(group) == 1:
            groups[-1] += group
        else:
            groups.append(group)
            lone = len(group) == 1
    words = " ".join(_join_group(t, g) for g in groups).split(" ")
    # Output that a second pass would join differently (3+ lone characters that spell a word):
    # read the run as one group, as if every separator were the same (normalizing twice must
    # not change the text).
    singles: list[str] = []
    for w in [*words, "  "]:
        if len(w) == 1:
            singles.append(w)
            continue
        if len(singles) >= 3 and _join_group(t, singles) != " ".join(singles):
            return _join_group(t, chars)
        singles = []
    return " ".join(words)


def _join_singles(t: _Tables, s: str, st: list[int] | None, scan: str) -> tuple[str, list[int]]:
    """Step 4 on `s` (after steps 2-3), whose character i was written at scan[st[i]]; returns
    the new text and where each of its characters was written."""
    if st is None:
        st = list(range(len(s)))
    out: list[str] = []
    nst: list[int] = []
    last = 0
    for m in _SINGLES.finditer(s):
        a, b = m.span()
        out.append(s[last:a])
        nst += st[last:a]
        reading = _spelled(t, m, st, scan)
        out.append(reading)
        # The reading has the run's characters in order (some read as letters), with spaces
        # where words end: character k of it is the k-th character of the run.
        written = iter([st[a + i] for i, c in enumerate(m.group()) if c != " "])
        previous = st[a]
        for c in reading:
            if c != " ":
                previous = next(written)
            nst.append(previous)
        last = b
    out.append(s[last:])
    nst += st[last:]
    return "".join(out), nst


# ---- the fast path ----------------------------------------------------------------------------


def _prepare(text: str | bytes) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    return text


def _context_applies(t: _Tables, toks: list[str], cached: list[str | None],
                     read: list[str]) -> bool:
    """Whether a word whose reading depends on the next one (slang.yaml `context`: Kupang
    "ko om" -> "ke om") is followed by one of its words; the tracked path then decides. Such
    words are never in the word cache, so only the words that were not are looked at."""
    for i, (hit, tok) in enumerate(zip(cached, toks, strict=True)):
        if hit is None:
            rule = t.context.get(_SQUEEZE.sub(_squeeze_repl, tok))
            if rule is not None:
                following = next((w for w in read[i + 1:] if w), "")
                if following.split(" ", 1)[0] in rule[1]:
                    return True
    return False


def normalize_text(text: str | bytes) -> str:
    """Only the normalized text (what `normalize(text).text` is), without building an object."""
    t = _TABLES or _tables()
    scan = _prepare(text)[:MAX_SCAN_CHARS]
    if scan.isascii():
        s = scan.encode("ascii").translate(t.ascii_map, t.ascii_delete).decode("ascii")
    else:
        s = scan.translate(t.chars)
    # Each step below is skipped when it cannot change anything: a full regex pass costs about
    # as much as everything else together. Squeezing happens per word (cached) in _read_word.
    if "." in s or "," in s:
        s = _GROUP_SEPARATOR.sub(r"\1", s).replace(".", " ").replace(",", " ")
    toks = s.split()
    if not toks:
        return ""
    if min(map(len, toks)) == 1 and _SINGLES.search(s):
        # Rare (spelled-out words): the separators as written decide, so find them.
        s, st = _prefix(t, scan)
        s = _SINGLES.sub(lambda m: _spelled(t, m, st, scan), s)
        toks = s.split()
    out = list(map(t.words.get, toks))
    if None in out:
        read = [w if w is not None else _word_text(t, tok) for w, tok in zip(out, toks, strict=True)]
        if t.context and _context_applies(t, toks, out, read):
            return _records(scan)[0]  # rare: it needs the punctuation as written ("ko? om ...")
        return " ".join(filter(None, read))
    # (no None is left in `out`; a word may read as "", e.g. "@@@")
    return " ".join(filter(None, out))  # type: ignore[arg-type]


# ---- the tracked path: the same steps, keeping where each piece was written -----------------


def _tracked_sub(pattern: re.Pattern[str], repl: Callable[[re.Match[str]], str], s: str,
                 st: list[int], en: list[int], whole_span: bool) -> tuple[str, list[int], list[int]]:
    """`pattern.sub(repl, s)` that also carries the original spans along.

    A replacement of the same length maps character to character; otherwise, with `whole_span`,
    every new character covers the whole match (a squeezed letter quotes the whole run), and
    without it the replacement is aligned as the match with characters deleted.
    """
    out: list[str] = []
    nst: list[int] = []
    nen: list[int] = []
    last = 0
    for m in pattern.finditer(s):
        a, b = m.span()
        out.append(s[last:a])
        nst += st[last:a]
        nen += en[last:a]
        r = repl(m)
        out.append(r)
        if len(r) == b - a:
            nst += st[a:b]
            nen += en[a:b]
        elif whole_span:
            nst += [st[a]] * len(r)
            nen += [max(en[a:b])] * len(r)
        else:
            k = a
            for c in r:
                while s[k] != c:
                    k += 1
                nst.append(st[k])
                nen.append(en[k])
                k += 1
        last = b
    out.append(s[last:])
    nst += st[last:]
    nen += en[last:]
    return "".join(out), nst, nen


def _char_spans(t: _Tables, scan: str) -> tuple[str, list[int] | None]:
    """Step 2 with, for each resulting character, the index of the character it came from
    (None when that is the character's own index: ASCII text where nothing was removed)."""
    if scan.isascii():  # ASCII characters map to one character or to nothing
        s = scan.encode("ascii").translate(t.ascii_map, t.ascii_delete).decode("ascii")
        if len(s) == len(scan):
            return s, None
        gone = t.ascii_delete
        return s, [i for i, c in enumerate(scan.encode("ascii")) if c not in gone]
    folded = list(map(t.chars.__getitem__, map(ord, scan)))
    st: list[int] = []
    for i, f in enumerate(folded):
        if f:
            if len(f) == 1:
                st.append(i)
            else:
                st += [i] * len(f)
    return "".join(filter(None, folded)), st


def _prefix(t: _Tables, scan: str) -> tuple[str, list[int] | None]:
    """Steps 2 and 3; character i of the result was written at scan[st[i]] (st None: at i).
    Until squeezing, every character comes from exactly one written character."""
    s, st = _char_spans(t, scan)
    if "." in s or "," in s:
        if _GROUP_SEPARATOR.search(s):
            if st is None:
                st = list(range(len(s)))
            s, st, _ = _tracked_sub(_GROUP_SEPARATOR, _group_repl, s, st, [i + 1 for i in st],
                                    whole_span=False)
        s = s.replace(".", " ").replace(",", " ")  # same length: the spans stay as they are
    return s, st


def _plan(t: _Tables, tok: str) -> _Plan:
    """How one word reads, with each piece's place in the word as split (before squeezing)."""
    spans: list[tuple[int, int]] | None = None
    word = tok
    if _SQUEEZE.search(tok):  # squeeze here, keeping which letters each squeezed one covers
        letters: list[str] = []
        spans = []
        last = 0
        for m in _SQUEEZE.finditer(tok):
            a, b = m.span()
            letters.append(tok[last:a])
            spans += [(k, k + 1) for k in range(last, a)]
            letters.append(m.group(1))
            spans.append((a, b))
            last = b
        letters.append(tok[last:])
        spans += [(k, k + 1) for k in range(last, len(tok))]
        word = "".join(letters)
    pieces: list[_PlanPiece] = []
    for text, a, b, exact in _word_pieces(t, word):
        if not text:
            continue
        if spans is None:
            pieces.append((text, _STEP if exact else _WHOLE, a, b, None))
        else:
            pieces.append((text, _CHARS if exact else _WHOLE, spans[a][0], spans[b - 1][1],
                           tuple(spans[a:b]) if exact else None))
    plan = (word if word in t.context else None, tuple(pieces))
    if len(tok) <= _MAX_CACHED_WORD:
        if len(t.plans) >= _MAX_CACHE:
            t.plans.clear()
        t.plans[tok] = plan
    return plan


class _Map:
    """Where each piece of a normalized text was written: the normalized text's pieces (a word
    or a part of one), each with the word's place in the scanned text and its cached plan piece.
    A piece's original span is worked out only when asked for."""

    __slots__ = ("firsts", "pieces", "st")

    def __init__(self, firsts: list[int], pieces: list[tuple[int, _PlanPiece]],
                 st: list[int] | None) -> None:
        self.firsts = firsts  # where each piece starts in the normalized text
        self.pieces = pieces  # (where its word starts in the scanned text after step 4, piece)
        self.st = st  # where each character of that text was written (None: at its own index)

    def span(self, i: int, k1: int, k2: int) -> tuple[int, int]:
        """The original span of characters k1..k2 of piece i."""
        base, (_, kind, a, b, chars) = self.pieces[i]
        if kind == _WHOLE:
            x, y = base + a, base + b
        elif kind == _STEP:
            x, y = base + a + k1, base + a + k2
        else:  # squeezed letters: their runs, in order
            assert chars is not None
            x, y = base + chars[k1][0], base + chars[k2 - 1][1]
        st = self.st
        return (x, y) if st is None else (st[x], st[y - 1] + 1)


_NO_MAP: Final = _Map([], [], None)


def _records(text: str) -> tuple[str, _Map]:
    """The normalized text and where each of its pieces was written in `text`."""
    t = _tables()
    scan = text[:MAX_SCAN_CHARS]
    s, st = _prefix(t, scan)
    parts = s.split(" ")  # (every separator is a space by now)
    if 1 in map(len, parts) and _SINGLES.search(s):
        s, st = _join_singles(t, s, st, scan)
        parts = s.split(" ")
    texts: list[str] = []
    pieces: list[tuple[int, _PlanPiece]] = []
    context: list[tuple[int, str]] = []
    plans = t.plans
    base = 0
    for tok in parts:
        if tok:
            key, plan = plans.get(tok) or _plan(t, tok)
            if key is not None and plan:
                context.append((len(texts), key))
            for piece in plan:
                texts.append(piece[0])
                pieces.append((base, piece))
        base += len(tok) + 1
    where = _Map([], pieces, st)
    for i, key in context:  # readings that depend on the next word, within one sentence
        reading, before = t.context[key]
        if (i + 1 < len(texts) and texts[i + 1].split(" ", 1)[0] in before
                and _SENTENCE_BREAKS.isdisjoint(scan[where.span(i, 0, 1)[1]:
                                                     where.span(i + 1, 0, 1)[0]])):
            texts[i] = reading
    where.firsts = list(itertools.accumulate(map((1).__add__, map(len, texts)), initial=0))
    return " ".join(texts), where


def _expand(where: _Map) -> tuple[list[int], list[int]]:
    """Per normalized character, the start and end of what it was made from (separators: an
    empty span where the previous word ended)."""
    starts: list[int] = []
    ends: list[int] = []
    for i, first in enumerate(where.firsts[:len(where.pieces)]):
        if starts:
            starts.append(ends[-1])
            ends.append(ends[-1])
        following = where.firsts[i + 1] - 1
        for k in range(following - first):
            x, y = where.span(i, k, k + 1)
            starts.append(x)
            ends.append(y)
    return starts, ends


def _tracked(text: str) -> tuple[str, list[int], list[int]]:
    """The normalized text with, for each character, the span of `text` it was made from."""
    normalized, where = _records(text)
    return normalized, *_expand(where)


class Normalized:
    """A message as written (`original`) and as normalized (`text`), with the map between them.

    The map lists the pieces of `text` (a word, or a part of one) with the cached reading of the
    word each came from; it is built on first use (only when a rule fired and evidence must be
    quoted) at about a dict lookup per word, and a piece's original span is worked out only when
    a quote needs it.
    """

    __slots__ = ("_map", "original", "text")

    def __init__(self, original: str, text: str) -> None:
        self.original = original
        self.text = text
        self._map: _Map | None = None

    def __repr__(self) -> str:
        return f"Normalized(text={self.text!r})"

    def _build_map(self) -> _Map:
        text, where = _records(self.original)
        if text != self.text:  # a bug; quote the whole scanned text rather than a wrong part
            log.error("normalizer fast and tracked paths disagree: %r != %r", self.text, text)
            whole = min(len(self.original), MAX_SCAN_CHARS)
            where = _Map([0, len(self.text) + 1], [(0, (self.text, _WHOLE, 0, whole, None))],
                         None) if self.text else _NO_MAP
        self._map = where
        return where

    @property
    def starts(self) -> tuple[int, ...]:
        """For each normalized character, where the part of `original` it came from starts."""
        return tuple(_expand(self._map or self._build_map())[0])

    @property
    def ends(self) -> tuple[int, ...]:
        """For each normalized character, where the part of `original` it came from ends."""
        return tuple(_expand(self._map or self._build_map())[1])

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """The span of `original` that normalized text[start:end] was made from.

        Separators at the edges of the range are ignored; an empty range gives an empty span.
        """
        text = self.text
        start, end = max(start, 0), min(end, len(text))
        while start < end and text[start] == " ":
            start += 1
        while end > start and text[end - 1] == " ":
            end -= 1
        if start >= end:
            return (0, 0)
        where = self._map or self._build_map()
        firsts = where.firsts
        i = bisect.bisect_right(firsts, start) - 1  # the piece holding text[start]
        low, high = len(self.original), 0
        while i < len(where.pieces) and firsts[i] < end:
            x, y = where.span(i, max(start - firsts[i], 0),
                              min(end, firsts[i + 1] - 1) - firsts[i])
            low, high = min(low, x), max(high, y)
            i += 1
        return (low, high)

    def quote(self, start: int, end: int) -> str:
        """The original characters behind normalized text[start:end], exactly as written."""
        ostart, oend = self.original_span(start, end)
        return self.original[ostart:oend]


def normalize(text: str | bytes) -> Normalized:
    """Normalize one message; see the module docstring for the steps."""
    original = _prepare(text)
    return Normalized(original, normalize_text(original))
