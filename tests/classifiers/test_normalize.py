"""Tests of classifiers/normalize.py: what the rules and the model see, and the map back to the
original characters that evidence quotes from."""

from __future__ import annotations

import random
import textwrap
from pathlib import Path

import pytest

from classifiers.normalize import MAX_SCAN_CHARS, _tracked, normalize, normalize_text
from classifiers.normalize_data import DATA_DIR, NormalizerDataError, load_data

DATA = load_data()

CASES = [
    # --- plain text: lower case, punctuation and extra spaces become single separators ----------
    ("Nanti   Om kasih PULSA, oke?", "nanti om kasih pulsa oke"),
    ("  halo\n\tdunia  ", "halo dunia"),
    ("kirim...foto!!!", "kirim foto"),
    ("hapus_chat_ini", "hapus chat ini"),
    ("hati-hati di jalan", "hati hati di jalan"),
    # --- digits and symbols used as letters ------------------------------------------------------
    ("Pul5a!!", "pulsa"),
    ("s3kolah", "sekolah"),
    ("k4mu c4ntik", "kamu cantik"),
    ("r4h4s14", "rahasia"),
    ("pu1sa", "pulsa"),  # 1 read as l because "pulsa" is a known word
    ("k1rim f0t0", "kirim foto"),
    ("t0l0ng j4ng4n b1l4ng", "tolong jangan bilang"),
    ("4ku", "aku"),
    ("s@y@ng", "sayang"),
    ("m@u", "mau"),
    ("pul$a", "pulsa"),
    ("$ekolah", "sekolah"),
    ("y9 p3nt1ng", "yang penting"),  # slang looked up after reading the digits
    ("m3ndoan", "mendoan"),  # unknown word: the usual reading
    ("0m", "om"),  # not an amount: amounts do not start with 0
    ("k1r1mm f0t00", "kirim foto"),  # a doubled last letter dropped when that gives a known word
    ("ku0ta10gb", "kuota 10gb"),  # leetspeak glued to an amount
    # --- spaced, dotted and dashed letters -------------------------------------------------------
    ("p u l s a", "pulsa"),
    ("p.u.l.s.a gratis", "pulsa gratis"),
    ("p-u-l-s-a", "pulsa"),
    ("mau p. u. l. s. a?", "mau pulsa"),
    ("p u l 5 a", "pulsa"),
    ("k u 0 t a 1 0 g b", "kuota 10gb"),
    ("f o t o  dong", "foto dong"),
    ("u r cute", "you are cute"),  # two single letters are words, not a spelled word
    ("u r u", "you are you"),  # every letter a one-letter slang word: words, not spelling
    ("y u k", "yuk"),
    ("1 2 3 a", "1 2 3 a"),  # mostly digits: not joined
    # --- spelled-out words: where one word ends and the next begins ------------------------------
    ("j-a-n-g-a-n b-i-l-a-n-g m-a-m-a", "jangan bilang mama"),  # "-" in words, " " between
    ("p.u.l.s.a g.r.a.t.i.s", "pulsa gratis"),
    ("p u l s a  g r a t i s", "pulsa gratis"),  # two spaces between words, one inside
    ("d-i r-u-m-a-h", "di rumah"),  # two-letter words too
    ("a-b c", "ab c"),  # as many of each separator: the one that is not a space is in-word
    ("pulsa-p u l s a-p.u.l.s.a", "pulsa pulsa pulsa"),  # lone letters between cuts stay together
    ("p  u  l  s  a", "pulsa"),  # the same separator throughout is the in-word one
    ("j a n g a n b i l a n g m a m a", "jangan bilang mama"),  # one separator: cut into known words
    ("p u l s a g r a t i s", "pulsa gratis"),
    ("k a m u d i r u m a h", "kamu di rumah"),
    ("k i r i m f o t o", "kirim foto"),
    ("s e n d i r i a n", "sendirian"),  # a known word as a whole is not cut
    ("s e n d a p i c", "sendapic"),  # no cut into words of 2+ letters: stays one (documented)
    ("k u 0 t a g r a t i s", "kuota gratis"),  # cut after reading the digits as letters
    # --- repeated letters ------------------------------------------------------------------------
    ("pulsaaaa", "pulsa"),
    ("yukkk", "yuk"),
    ("sayaaang", "sayang"),
    ("gkkk", "tidak"),
    ("maaf saat", "maaf saat"),  # doubles stay
    ("yaa", "ya"),  # a common double fixed by the slang map
    ("sayangg kamuu", "sayang kamu"),  # doubled letters of known words
    ("good kiss boss", "good kiss boss"),  # real doubles of words that are known or unknown
    ("s000 cute", "so cute"),  # squeezed after the digits are read
    # --- lookalike letters -----------------------------------------------------------------------
    ("\u0420ulsa", "pulsa"),  # Cyrillic capital Er
    ("pul\u0455\u0430", "pulsa"),  # Cyrillic dze and a
    ("\u0443uk", "yuk"),  # Cyrillic u
    ("\u0397\u0395LL\u039f", "hello"),  # Greek capitals Eta, Epsilon, Omicron
    ("\u03c1ul\u03c2\u03b1", "pulsa"),  # Greek rho, final sigma, alpha
    ("\uff30\uff35\uff2c\uff33\uff21", "pulsa"),  # fullwidth
    ("\U0001d429\U0001d42e\U0001d425\U0001d42c\U0001d41a", "pulsa"),  # mathematical bold
    ("\u24df\u24e4\u24db\u24e2\u24d0", "pulsa"),  # circled
    ("\u1d18\u1d1c\u029f\ua731\u1d00", "pulsa"),  # small capitals
    ("\U0001f1f5\U0001f1fa\U0001f1f1\U0001f1f8\U0001f1e6", "pulsa"),  # regional indicators
    ("caf\u00e9 cafe\u0301", "cafe cafe"),  # accents, composed or not
    # --- invisible characters inside words -------------------------------------------------------
    ("pul\u200bsa", "pulsa"),
    ("ra\u200dha\u200csia", "rahasia"),
    ("\ufeffjangan bi\u00adlang", "jangan bilang"),
    ("fo\u2060to\u3164", "foto"),
    ("don't tell", "do not tell"),
    # --- informal Indonesian ---------------------------------------------------------------------
    ("jgn bilang ortu yg", "jangan bilang orang tua yang"),
    ("gk, ga, gak, nggak, enggak, tdk", "tidak tidak tidak tidak tidak tidak"),
    ("bsk ktm dmn?", "besok ketemu dimana"),
    ("aq sm km aja", "aku sama kamu saja"),
    ("udh blm? brp umr km", "sudah belum berapa umur kamu"),
    ("cakep bgt, otw", "cakep banget otw"),
    ("ssst, sstt, shhh", "sst sst sst"),
    ("kirim poto dong", "kirim foto dong"),  # "dong" the particle is kept
    ("hati2 ya", "hati hati ya"),
    ("satu2nya deg2an", "satu satunya deg degan"),  # reduplication with a suffix
    ("tmn2nya dll", "teman temannya dan lain lain"),
    # --- Kupang Malay ----------------------------------------------------------------------------
    ("beta sonde tau", "saya tidak tahu"),
    ("lu su makan ko?", "kamu sudah makan kamu"),  # the sentence-final particle reads "kamu"
    ("kirim ko om", "kirim ke om"),  # "ko" before a person: "to"
    ("pi ko pantai", "pergi ke pantai"),  # before a place
    ("pi ko lu pung rumah", "pergi ke kamu punya rumah"),  # the next word as read ("lu" -> kamu)
    ("ko su makan?", "kamu sudah makan"),  # at the start, before a verb: "you"
    ("lu mau pulsa ko? beta kirim", "kamu mau pulsa kamu saya kirim"),  # not across a "?"
    ("ko, om", "kamu om"),
    ("lu butu doi ko? bilang sa koooo om", "kamu butu doi kamu bilang sa ke om"),
    ("beta sandiri di rumah", "saya sendiri di rumah"),
    ("beta bisa kaluar", "saya bisa keluar"),
    ("botong pi pantai", "kita pergi pantai"),
    ("nona deng nyong", "nona dengan nyong"),
    # --- Jakarta and Javanese-flavoured ----------------------------------------------------------
    ("gue gak mau, lo aja", "aku tidak mau kamu saja"),
    ("tak kasih duit", "tak kasih uang"),
    ("makasih duitnya", "terima kasih uangnya"),
    ("apus chat semalem", "hapus chat semalam"),
    ("ok y", "oke ya"),  # packs are written with "oke" and "ya"
    # --- English chat-speak ----------------------------------------------------------------------
    ("u r so cute pls send pic", "you are so cute please send photo"),
    ("dont tell ur mom bc its secret", "do not tell your mom because its secret"),
    ("c u 2nite", "c you tonight"),
    ("gr8, b4 l8r", "great before later"),
    # --- emoji -----------------------------------------------------------------------------------
    ("\U0001f92b jangan bilang", "rahasia jangan bilang"),
    ("kirim \U0001f4f8 dong", "kirim foto dong"),
    ("mau\U0001f4b8?", "mau uang"),
    ("\u2764\ufe0f\U0001f618 sayang", "sayang"),  # other emoji separate words
    ("ok\U0001f44d\U0001f3fbsip", "oke oke"),
    # --- numbers stay numbers --------------------------------------------------------------------
    ("pulsa 50rb", "pulsa 50rb"),
    ("100k aja", "100k saja"),
    ("hubungi 0812-0000-0000", "hubungi 0812 0000 0000"),
    ("jam 7 ya", "jam 7 ya"),
    ("jam7", "jam 7"),
    ("pulsa50rb", "pulsa 50rb"),
    ("Rp50.000", "rp50000"),
    ("1.500.000 atau 1,500,000", "1500000 atau 1500000"),
    ("jam 7.30", "jam 7 30"),
    ("umur 13thn", "umur 13thn"),
    ("$50 @budi", "50 budi"),
    ("main ps5 di 4g", "main ps5 di 4g"),
    ("2orang", "2 orang"),
    ("kode " + "a1" * 25, "kode " + "a1" * 25),  # a long letters-and-digits code is not leetspeak
    # --- addresses -------------------------------------------------------------------------------
    ("budi@example.com", "budi example com"),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_normalized_text_is_what_rules_are_written_against(text: str, expected: str) -> None:
    assert normalize(text).text == expected


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_tracked_path_gives_the_same_text_as_the_fast_path(text: str, expected: str) -> None:
    tracked, starts, ends = _tracked(text)
    assert tracked == normalize_text(text) == expected
    assert len(starts) == len(ends) == len(tracked)


QUOTES = [
    # (original, normalized words to find, exactly what the person wrote)
    ("Pul5a!!", "pulsa", "Pul5a"),
    ("mau P.U.L.S.A gratis?", "pulsa", "P.U.L.S.A"),
    ("mau p u l s a", "pulsa", "p u l s a"),
    ("PULSAAAA dong", "pulsa", "PULSAAAA"),
    ("om kasih \u0420ulsa ya", "kasih pulsa", "kasih \u0420ulsa"),
    ("pul\u200bsa", "pulsa", "pul\u200bsa"),
    ("Jgn bilang Mama ya", "jangan bilang mama", "Jgn bilang Mama"),
    ("nanti, gk usah bilang", "tidak", "gk"),
    ("hapus \U0001f92b ok", "rahasia", "\U0001f92b"),
    ("sekolah DMN??", "sekolah dimana", "sekolah DMN"),
    ("ｆｏｔｏ", "foto", "ｆｏｔｏ"),
    ("isi pulsa 50.000 ya", "pulsa 50000", "pulsa 50.000"),
    ("ketemuan di hotel, jangan bilang", "hotel", "hotel"),
    ("c\u0430f\u00e9 yuk", "cafe yuk", "c\u0430f\u00e9 yuk"),
    ("k4mu s3ndirian?", "sendirian", "s3ndirian"),
    ("j-a-n-g-a-n b-i-l-a-n-g m-a-m-a ya", "bilang", "b-i-l-a-n-g"),
    ("p u l s a  g r a t i s", "gratis", "g r a t i s"),
    ("j a n g a n b i l a n g m a m a", "bilang mama", "b i l a n g m a m a"),
    ("kirim ko Om!", "ke om", "ko Om"),
    ("PULSAAAA50rb", "pulsa", "PULSAAAA"),  # a squeezed part of a word split in two
    ("PULSAAAA50rb", "50rb", "50rb"),
    ("Pulsaaa​50rb", "pulsa 50rb", "Pulsaaa​50rb"),
    ("om kаsih 💸💸 ya", "kasih uang uang", "kаsih 💸💸"),
]


@pytest.mark.parametrize(("original", "words", "expected"), QUOTES)
def test_quote_returns_exactly_what_the_person_wrote(original: str, words: str,
                                                     expected: str) -> None:
    n = normalize(original)
    start = n.text.index(words)
    assert n.quote(start, start + len(words)) == expected
    ostart, oend = n.original_span(start, start + len(words))
    assert original[ostart:oend] == expected


@pytest.mark.parametrize(("original", "start", "end", "expected"), [
    ("Pul5a", 0, 3, "Pul"),
    ("Pul5a", 3, 5, "5a"),
    ("PULSAAAA dong", 3, 5, "SAAAA"),  # a squeezed letter quotes its whole run
    ("Рul​sa", 1, 4, "ul​s"),
    ("kasih 50.000", 6, 9, "50.0"),  # the thousands separator is inside
    ("hati2", 5, 9, "hati2"),  # the repeated word is the whole "hati2"
])
def test_quote_of_part_of_a_word_is_the_part_written(original: str, start: int, end: int,
                                                      expected: str) -> None:
    assert normalize(original).quote(start, end) == expected


@pytest.mark.parametrize(("start", "end"), [(0, 0), (3, 3), (5, 2), (-4, 0), (100, 200)])
def test_empty_or_out_of_range_spans_quote_nothing(start: int, end: int) -> None:
    assert normalize("kasih pulsa").quote(start, end) == ""


def test_separators_at_the_edge_of_a_span_are_not_quoted() -> None:
    n = normalize("kasih,   pulsa")
    assert n.quote(5, 12) == "pulsa"  # " pulsa" in normalized text


# --- awkward input ---------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "expected"), [
    ("", ""),
    ("   \n ", ""),
    ("\U0001f600\U0001f602\U0001f525", ""),  # emoji only
    ("!!!???...", ""),
    ("@@@ $$$", ""),
    ("\ud800abc\udfff", "abc"),  # lone surrogates (from surrogateescape decoding)
    ("abc\ufffd\ufffddef", "abc def"),  # replacement characters from invalid UTF-8
    ("\x00\x07pulsa\x1b", "pulsa"),  # control characters
])
def test_awkward_input_is_handled(text: str, expected: str) -> None:
    n = normalize(text)
    assert n.text == expected
    assert n.quote(0, len(n.text)) in text


def test_invalid_utf8_bytes_are_decoded_with_replacement() -> None:
    n = normalize(b"kirim \xff\xfe pulsa")
    assert n.text == "kirim pulsa"
    assert n.quote(6, 11) == "pulsa"


def test_one_megabyte_of_one_letter_is_capped_and_squeezed() -> None:
    n = normalize("a" * 1_000_000)
    assert n.text == "a"
    assert n.original_span(0, 1) == (0, MAX_SCAN_CHARS)


def test_text_after_the_scan_cap_is_ignored() -> None:
    text = "halo " * (MAX_SCAN_CHARS // 5) + "pulsa"
    assert "pulsa" not in normalize(text).text
    assert normalize(text).text.startswith("halo halo")


def test_long_spaced_letters_are_joined_without_blowing_up() -> None:
    assert normalize("a b " * 30_000).text == "ab" * (MAX_SCAN_CHARS // 4)


# --- fast path and tracked path agree on many inputs -------------------------------------------

_ALPHABET = [
    *"abdegiklmnopstuy0123456789@$ .,-!?'_\n",
    "\u200b", "\u0430", "\u0440", "\u0397", "\uff30", "\U0001f92b", "\U0001f4b8", "\U0001f600",
    "\ufffd", "\ud800", "\u00e9", "\u0301", "\U0001f1f5", "\u00df", "\ufb01", "\u3164", "A", "P",
]
_WORDS = ["pulsa", "p u l s a", "pul5a", "jgn", "bilang", "mama", "gk", "50rb", "0812-0000-0000",
          "hati2", "jam7", "Rp50.000", "beta", "sonde", "u", "r", "\U0001f92b", "s3kolah", "yukkk",
          "p.u.l.s.a", "@budi", "$50", "budi@example.com", "\u0420ulsa", "kamu", "1.500.000"]


def _random_texts(seed: int, count: int, garbage: bool = True) -> list[str]:
    """Half random characters (when `garbage`), half obfuscated chat words with odd separators."""
    rng = random.Random(seed)
    texts = []
    for _ in range(count):
        if garbage and rng.random() < 0.5:
            texts.append("".join(rng.choice(_ALPHABET) for _ in range(rng.randint(0, 60))))
        else:
            seps = [" ", "  ", ", ", ".", "-", "\u200b", "!! "]
            texts.append("".join(rng.choice(_WORDS) + rng.choice(seps)
                                 for _ in range(rng.randint(1, 12))))
    return texts


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_fast_and_tracked_paths_agree_on_random_text(seed: int) -> None:
    for text in _random_texts(seed, 1500):
        tracked, starts, ends = _tracked(text)
        assert tracked == normalize_text(text), repr(text)
        assert len(starts) == len(ends) == len(tracked)
        assert all(0 <= s <= e <= len(text) for s, e in zip(starts, ends, strict=True))


@pytest.mark.parametrize("seed", [5, 6])
def test_every_normalized_word_quotes_a_nonempty_part_of_the_original(seed: int) -> None:
    for text in _random_texts(seed, 800):
        n = normalize(text)
        position = 0
        for word in n.text.split(" ") if n.text else []:
            quoted = n.quote(position, position + len(word))
            assert quoted and quoted == text[slice(*n.original_span(position, position + len(word)))]
            position += len(word) + 1


@pytest.mark.parametrize("seed", [8, 9])
def test_normalizing_normalized_text_changes_nothing(seed: int) -> None:
    # Rule phrases are normalized at load; phrases already in normalized form must stay as written.
    for text in _random_texts(seed, 800, garbage=False):
        once = normalize_text(text)
        assert normalize_text(once) == once, repr(text)


# --- the data files ----------------------------------------------------------------------------


@pytest.mark.parametrize(("key", "value"), sorted(DATA.slang.items()))
def test_every_slang_entry_is_reachable(key: str, value: str) -> None:
    assert normalize_text(key) == value
    assert normalize_text(value) == value


@pytest.mark.parametrize("word", sorted(DATA.keep))
def test_kept_words_stay_as_written(word: str) -> None:
    assert normalize_text(word) == word


@pytest.mark.parametrize(("emoji", "word"), sorted(DATA.emoji.items()))
def test_every_emoji_word_is_read(emoji: str, word: str) -> None:
    assert normalize_text(f"mau{emoji}\ufe0fdong") == f"mau {word} dong"


@pytest.mark.parametrize("word", sorted(DATA.words))
def test_lexicon_words_are_normalized_words(word: str) -> None:
    assert normalize_text(word) == word


@pytest.mark.parametrize(("key", "reading", "word"), sorted(
    (key, reading, word) for key, (reading, words) in DATA.context.items() for word in words))
def test_every_context_word_changes_the_reading_before_it(key: str, reading: str,
                                                         word: str) -> None:
    assert normalize_text(word) == word  # the words are listed as read
    assert normalize_text(f"{key} {word}") == f"{reading} {word}"
    assert normalize_text(f"{key}? {word}") == f"{DATA.slang[key]} {word}"


def _data_dir_with(tmp_path: Path, slang_yaml: str) -> Path:
    for name in ("confusables.yaml", "lexicon.yaml"):
        (tmp_path / name).write_text((DATA_DIR / name).read_text(encoding="utf-8"),
                                     encoding="utf-8")
    (tmp_path / "slang.yaml").write_text(textwrap.dedent(slang_yaml), encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize(("slang_yaml", "problem"), [
    ("version: 1\nslang:\n  gk: tidak\n  gk: enggak\n", "slang.yaml:4: duplicate key 'gk' (first at line 3)"),
    ("version: 1\nslang:\n  Gk: tidak\n", "slang.yaml:3: slang key 'Gk' is not a normalized token"),
    ("version: 1\nslang:\n  yukkk: ayo\n", "slang.yaml:3: slang key 'yukkk' is not a normalized"),
    ("version: 1\nslang:\n  don't: do not\n", "slang.yaml:3: slang key \"don't\""),
    ("version: 1\nslang:\n  gk: Tidak\n", "slang.yaml:3: slang value 'Tidak'"),
    ("version: 1\nslang:\n  gk: ga\n  ga: tidak\n", "slang.yaml:3: value word 'ga' of 'gk' is itself"),
    ("version: 1\nslang:\n  aku: aku\n", "slang.yaml:3: 'aku' maps to itself"),
    ("version: 1\nslang:\n  dong: mereka\nkeep:\n  dong: particle\n", "slang.yaml:5: 'dong' is both"),
    ("version: 1\nemoji:\n  ab: rahasia\n", "slang.yaml:3: emoji key 'ab' must be a single emoji"),
    ("version: 1\nslang:\n  ko: kamu\ncontext:\n  kx:\n    ke: [om]\n",
     "slang.yaml:5: context key 'kx' must be a slang key"),
    ("version: 1\nslang:\n  ko: kamu\ncontext:\n  ko: ke\n", "slang.yaml:5: context entry 'ko'"),
    ("version: 1\nslang:\n  ko: kamu\ncontext:\n  ko:\n    ko: [om]\n",
     "slang.yaml:6: context reading 'ko' of 'ko'"),
    ("version: 1\nslang:\n  ko: kamu\n  lu: kamu\ncontext:\n  ko:\n    ke: [lu]\n",
     "slang.yaml:7: context words of 'ko'"),
    ("version: 2\nslang: {}\n", "slang.yaml:1: `version: 1` is required"),
    ("slang: [a, b\n", "slang.yaml: cannot read"),
])
def test_bad_slang_data_is_reported_with_file_and_line(tmp_path: Path, slang_yaml: str,
                                                       problem: str) -> None:
    with pytest.raises(NormalizerDataError) as e:
        load_data(_data_dir_with(tmp_path, slang_yaml))
    assert any(problem in p for p in e.value.problems), e.value.problems


def test_all_data_problems_are_reported_in_one_pass(tmp_path: Path) -> None:
    bad = "version: 1\nslang:\n  gk: tidak\n  gk: enggak\n  Yg: yang\n  sm: Sama\n"
    with pytest.raises(NormalizerDataError) as e:
        load_data(_data_dir_with(tmp_path, bad))
    assert len(e.value.problems) == 3


def test_shipped_data_loads_and_has_every_language_variety() -> None:
    for informal, standard in [("gk", "tidak"), ("beta", "saya"), ("gue", "aku"), ("u", "you")]:
        assert DATA.slang[informal] == standard
    assert "dong" in DATA.keep and "dong" not in DATA.slang


@pytest.mark.parametrize(("name", "content", "problem"), [
    ("confusables.yaml", "version: 1\nchars:\n  \"ab\": a\n", "confusables.yaml:3: lookalike key 'ab'"),
    ("confusables.yaml", "version: 1\nchars:\n  \"\u0440\": P\n", "confusables.yaml:3: lookalike value 'P'"),
    ("confusables.yaml", "version: 1\nranges:\n  - first: ab\n", "confusables.yaml:3: a range needs"),
    ("lexicon.yaml", "version: 1\nwords: [pulsa, Kuota]\n", "lexicon.yaml:2: word 'Kuota'"),
    ("lexicon.yaml", "version: 1\ntokens: [ps-5]\n", "lexicon.yaml:2: token 'ps-5'"),
])
def test_bad_lookalike_and_lexicon_data_is_reported(tmp_path: Path, name: str, content: str,
                                                    problem: str) -> None:
    _data_dir_with(tmp_path, (DATA_DIR / "slang.yaml").read_text(encoding="utf-8"))
    (tmp_path / name).write_text(content, encoding="utf-8")
    with pytest.raises(NormalizerDataError) as e:
        load_data(tmp_path)
    assert any(problem in p for p in e.value.problems), e.value.problems


def test_offset_map_is_built_only_when_a_span_is_asked_for() -> None:
    n = normalize("om kasih Pul5a")
    assert n._map is None  # the fast path built the text only
    assert n.quote(9, 14) == "Pul5a"
    assert len(n.starts) == len(n.ends) == len(n.text)
