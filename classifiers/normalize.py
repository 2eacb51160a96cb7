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
4. Spaced or dotted letters are joined: a run of 3+ single letters/digits ("p u l s a",
   "p.u.l.s.a", "p-u-l-5-a") becomes one word when at least 2 and more than half are letters,
   unless every one of them is a one-letter slang word ("u r u" stays "you are you").
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
7. Output: the words joined by single spaces; no leading or trailing space.

Speed: `.text` is built by a fast path: a translate table, two precompiled regular expressions
that run only when they can change something, and one cached dict lookup per word (a few
microseconds for a chat message; `bench/bench_normalize.py` prints the figure). The character map
behind `.starts`/`.ends`/`.quote` is built lazily, on first use, by a slower path that runs the
same steps while tracking positions; tests assert that both paths give the same text.

Normalizing normalized text changes nothing (for ordinary text; tested on many generated
messages), so rule phrases can be (and are) passed through
`normalize()` when a pack is loaded: a phrase written "gk bilang" or "tidak bilang" matches the
same messages. The data files (slang.yaml, confusables.yaml, lexicon.yaml in classifiers/data/)
are read once, on first use, and checked by classifiers/normalize_data.py.
"""

from __future__ import annotations

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

# A piece of a word's reading: (text, start, end, one_to_one) with start/end inside the word;
# one_to_one means text[k] was written as word[start + k].
Piece = tuple[str, int, int, bool]


def _group_repl(m: re.Match[str]) -> str:
    return m.group(1)


def _singles_repl(m: re.Match[str]) -> str:
    compact = m.group().replace(" ", "")
    letters = sum(map(str.isalpha, compact))
    if letters < 2 or 2 * letters <= len(compact):
        return m.group()
    slang = _tables().slang
    if all(c in slang for c in compact):  # "u r u" is three words (you are you), not "uru"
        return m.group()
    return compact


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
    if len(tok) <= _MAX_CACHED_WORD:
        if len(t.words) >= _MAX_CACHE:
            t.words.clear()
        t.words[tok] = text
    return text


# ---- the fast path ----------------------------------------------------------------------------


def _prepare(text: str | bytes) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    return text


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
    if min(map(len, toks)) == 1:
        s = _SINGLES.sub(_singles_repl, s)
        toks = s.split()
    out = list(map(t.words.get, toks))
    if None in out:
        out = [w if w is not None else _word_text(t, tok) for w, tok in zip(out, toks, strict=True)]
    return " ".join(filter(None, out))


# ---- the tracked path: the same steps, keeping each character's original span ---------------


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


def _char_spans(t: _Tables, scan: str) -> tuple[str, list[int]]:
    """Step 2 with, for each resulting character, the index of the character it came from."""
    if scan.isascii():  # ASCII characters map to one character or to nothing
        s = scan.encode("ascii").translate(t.ascii_map, t.ascii_delete).decode("ascii")
        if len(s) == len(scan):
            return s, list(range(len(scan)))
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


def _tracked(text: str) -> tuple[str, list[int], list[int]]:
    """The normalized text with, for each character, the span of `text` it was made from."""
    t = _tables()
    s, st = _char_spans(t, text[:MAX_SCAN_CHARS])
    en = [i + 1 for i in st]
    if "." in s or "," in s:
        s, st, en = _tracked_sub(_GROUP_SEPARATOR, _group_repl, s, st, en, whole_span=False)
        s = s.replace(".", " ").replace(",", " ")  # same length: the spans stay as they are
    if _SINGLES.search(s):
        s, st, en = _tracked_sub(_SINGLES, _singles_repl, s, st, en, whole_span=False)
    if _SQUEEZE.search(s):
        s, st, en = _tracked_sub(_SQUEEZE, _squeeze_repl, s, st, en, whole_span=True)
    out: list[str] = []
    ost: list[int] = []
    oen: list[int] = []
    pieces = t.pieces
    for m in _WORD_SPLIT.finditer(s):
        base = m.start()
        tok = m.group()
        for text_, a, b, exact in pieces.get(tok) or _word_pieces(t, tok):
            if not text_:
                continue
            if out:  # a separator: an empty span where the previous word ended
                ost.append(oen[-1])
                oen.append(oen[-1])
            out.append(text_)
            a += base
            b += base
            if exact:
                ost += st[a:b]
                oen += en[a:b]
            else:
                ost += [st[a]] * len(text_)
                oen += [max(en[a:b])] * len(text_)
    return " ".join(out), ost, oen


class Normalized:
    """A message as written (`original`) and as normalized (`text`), with the map between them.

    `starts[i]`/`ends[i]` give the span of `original` that normalized character i came from;
    they are computed on first use (only when a rule fired and evidence must be quoted).
    """

    __slots__ = ("_ends", "_starts", "original", "text")

    def __init__(self, original: str, text: str) -> None:
        self.original = original
        self.text = text
        self._starts: tuple[int, ...] | None = None
        self._ends: tuple[int, ...] = ()

    def __repr__(self) -> str:
        return f"Normalized(text={self.text!r})"

    def _build_map(self) -> tuple[int, ...]:
        text, st, en = _tracked(self.original)
        if text != self.text:  # a bug; quote the whole scanned text rather than a wrong part
            log.error("normalizer fast and tracked paths disagree: %r != %r", self.text, text)
            whole = min(len(self.original), MAX_SCAN_CHARS)
            st, en = [0] * len(self.text), [whole] * len(self.text)
        self._starts, self._ends = tuple(st), tuple(en)
        return self._starts

    @property
    def starts(self) -> tuple[int, ...]:
        return self._starts if self._starts is not None else self._build_map()

    @property
    def ends(self) -> tuple[int, ...]:
        if self._starts is None:
            self._build_map()
        return self._ends

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """The span of `original` that normalized text[start:end] was made from.

        Separators at the edges of the range are ignored; an empty range gives an empty span.
        """
        start, end = max(start, 0), min(end, len(self.text))
        while start < end and self.text[start] == " ":
            start += 1
        while end > start and self.text[end - 1] == " ":
            end -= 1
        if start >= end:
            return (0, 0)
        starts, ends = self.starts, self.ends
        return (min(starts[start:end]), max(ends[start:end]))

    def quote(self, start: int, end: int) -> str:
        """The original characters behind normalized text[start:end], exactly as written."""
        ostart, oend = self.original_span(start, end)
        return self.original[ostart:oend]


def normalize(text: str | bytes) -> Normalized:
    """Normalize one message; see the module docstring for the steps."""
    original = _prepare(text)
    return Normalized(original, normalize_text(original))
