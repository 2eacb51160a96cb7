"""jaga's risk model: one scikit-learn Pipeline, shipped as a checked skops file.

The Pipeline reads a 3-column object array `[normalized text, direction, word pairs]`
(`model_inputs`) and predicts, as a multilabel problem, P(risk) and P(category) for each of the
nine categories (`OUTPUTS`): character n-grams (char_wb 3-5), word uni/bi-grams and word pairs
(classifiers/wordpairs.py) TF-IDF, a one-hot direction, then one logistic regression per output
(one-vs-rest). Logistic regression's own probabilities are
used (it minimizes log-loss, so they are close to calibrated; the metadata records their Brier
score per split), instead of CalibratedClassifierCV, which would multiply size and time by its folds;
the combined score is in any case re-fitted on cross-validated scores (classifiers/train.py).

Loading is safe and checked, in this order, before any object is built (`load_model`):
metadata present and readable -> artifact present -> its sha256 equals the metadata's (tampered or
corrupted otherwise) -> saved by this scikit-learn minor version -> every type in the file is in
the reviewed `ALLOWED_TYPES` -> `skops.io.load(trusted=TRUSTED_TYPES)`. Any failure is a
`ModelError` whose `kind` says which and whose message says what to do. Never pickle or joblib.

`get_model()` loads lazily, once per path; the scorer calls it and falls back to the rules.
Prediction goes through `RiskModel.predict`, which computes exactly the Pipeline's numbers
(tests check this) from plain arrays (classifiers/model_runtime.py): scikit-learn's per-call
overhead and Python n-gram loop would exceed the proxy's latency budget, and importing it its
memory budget, so `get_model` loads in a child process and keeps only the arrays.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import math
import re
import threading
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from classifiers import wordpairs
from classifiers.categories import CATEGORIES, DIRECTIONS
from classifiers.model_runtime import LinearModel, LoaderUnavailable, load_isolated

MODEL_NAME = "jaga-model"
MODEL_FILE = f"{MODEL_NAME}.skops"
METADATA_FORMAT = 1
log = logging.getLogger(__name__)

DEFAULT_MODEL_PATH = Path(__file__).resolve().parent.parent / "models" / MODEL_FILE
# combined_score reads the model's probability clipped to [PROBABILITY_CLIP, 1 - PROBABILITY_CLIP]
# before its logit; training places the alert point on the same clipped logits.
PROBABILITY_CLIP = 1e-6

# Column 0 is the risk label; then one column per category, in taxonomy order.
OUTPUTS: tuple[str, ...] = ("risk", *CATEGORIES)

# Types that skops.io.load is told to trust beyond its own defaults. skops already trusts
# scikit-learn estimators, numpy arrays and builtins, so this model needs none: keep it empty, and
# only add a type after reading its code (tests check this is exactly what the artifact needs).
TRUSTED_TYPES: list[str] = []

# The reviewed list of every type the shipped Pipeline is made of. It is stricter than skops'
# defaults: a file holding any other type (even a trusted scikit-learn one) is refused.
ALLOWED_TYPES: frozenset[str] = frozenset({
    "builtins.dict", "builtins.list", "builtins.slice", "builtins.str", "builtins.tuple",
    "numpy.ndarray", "numpy.float64",
    "sklearn.pipeline.Pipeline",
    "sklearn.compose._column_transformer.ColumnTransformer",
    "sklearn.feature_extraction.text.TfidfVectorizer",
    "sklearn.feature_extraction.text.TfidfTransformer",
    "sklearn.preprocessing._encoders.OneHotEncoder",
    "sklearn.multiclass.OneVsRestClassifier",
    "sklearn.preprocessing._label.LabelBinarizer",
    "sklearn.linear_model._logistic.LogisticRegression",
})


class ModelError(Exception):
    """The model cannot be used. `kind`: missing, metadata, corrupted, tampered, version,
    untrusted or invalid."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind


def build_pipeline(*, C: float = 10.0, seed: int = 0, max_char_features: int = 20_000,
                   max_word_features: int = 15_000, max_pair_features: int = 20_000) -> Any:
    """A fresh, unfitted Pipeline: the one definition of the model's features and classifier."""
    from sklearn.compose import ColumnTransformer
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder

    # lowercase=False: the text is already normalized (casefolded, slang expanded).
    # char_wb 3-5: as good as 2-5 on validation (PR-AUC 0.956 both), a quarter fewer n-grams.
    chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), lowercase=False,
                            sublinear_tf=True, min_df=2, max_features=max_char_features)
    words = TfidfVectorizer(analyzer="word", ngram_range=(1, 2), lowercase=False,
                            token_pattern=wordpairs.TOKEN_PATTERN, sublinear_tf=True, min_df=2,
                            max_features=max_word_features)
    # Word pairs (classifiers/wordpairs.py says why). Sizes: with pairs, 20k-40k char n-grams,
    # 10k-15k words and 15k-20k pairs were within 0.4 points of F1 in cross-fitting; 20k, 15k
    # and 20k keep the file under 5 MB (25k char n-grams made it 5.1 MB).
    pairs = TfidfVectorizer(**wordpairs.PAIR_VECTORIZER, sublinear_tf=True, min_df=2,
                            max_features=max_pair_features)
    direction = OneHotEncoder(categories=[list(DIRECTIONS)], handle_unknown="ignore")
    features = ColumnTransformer(
        [("chars", chars, 0), ("words", words, 0), ("direction", direction, [1]),
         ("pairs", pairs, 2)],
        sparse_threshold=1.0,
    )
    classify = OneVsRestClassifier(
        LogisticRegression(C=C, max_iter=3000, random_state=seed))
    return Pipeline([("features", features), ("classify", classify)])


def model_inputs(texts: Sequence[str], directions: Sequence[str]) -> np.ndarray:
    """The Pipeline's input: rows of [normalized text, direction, its word pairs]."""
    x = np.empty((len(texts), 3), dtype=object)
    x[:, 0] = list(texts)
    x[:, 1] = list(directions)
    x[:, 2] = [wordpairs.pair_text(text) for text in texts]
    return x


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def metadata_path(model_path: Path) -> Path:
    return model_path.with_suffix(".json")


def _sklearn_minor(version: str) -> str:
    return ".".join(version.split(".")[:2])


# --- saving -------------------------------------------------------------------------------


def dump_canonical(pipeline: Any) -> bytes:
    """skops bytes of `pipeline`, made byte-for-byte reproducible.

    skops names array members and shared objects after id() and stamps the zip with the current
    time; all are replaced (members named by content hash, object ids numbered in order of first
    appearance, a fixed date, sorted order), so the same training gives the same artifact hash.
    References stay consistent, so loading is unchanged.
    """
    import skops.io

    # Vocabulary indices are numpy ints, which skops stores as one array file each: make them
    # plain ints (same behaviour, one JSON entry each, a far smaller file). `_stop_words_id` is
    # an id() that scikit-learn caches for a stop-word check (we use no stop words): drop it.
    features = getattr(pipeline, "named_steps", {}).get("features")
    for _, vec, _ in getattr(features, "transformers_", []):
        if isinstance(getattr(vec, "vocabulary_", None), dict):
            vec.vocabulary_ = {term: int(i) for term, i in vec.vocabulary_.items()}
            vec.__dict__.pop("_stop_words_id", None)
    raw = skops.io.dumps(pipeline)
    with zipfile.ZipFile(io.BytesIO(raw)) as z:
        members = {name: z.read(name) for name in z.namelist()}
    schema = json.loads(members.pop("schema.json"))
    renamed = {name: hashlib.sha256(data).hexdigest()[:24] + ".npy"
               for name, data in members.items()}
    ids: dict[int, int] = {}

    def rename(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "numpy" and node.get("file") in renamed:
                node["file"] = renamed[node["file"]]
            if isinstance(node.get("__id__"), int):
                node["__id__"] = ids.setdefault(node["__id__"], len(ids) + 1)
            for value in node.values():
                rename(value)
        elif isinstance(node, list):
            for value in node:
                rename(value)

    rename(schema)
    out = {renamed[name]: data for name, data in members.items()}
    out["schema.json"] = json.dumps(schema, indent=1).encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        for name in sorted(out):
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            z.writestr(info, out[name], compresslevel=9)
    return buffer.getvalue()


def save_model(pipeline: Any, metadata: dict[str, Any], out_dir: Path) -> Path:
    """Write the artifact and its metadata (with versions and the artifact hash) to out_dir."""
    import sklearn
    import skops

    out_dir.mkdir(parents=True, exist_ok=True)
    data = dump_canonical(pipeline)
    path = out_dir / MODEL_FILE
    path.write_bytes(data)
    meta = {
        "format": METADATA_FORMAT,
        "name": MODEL_NAME,
        "sklearn_version": sklearn.__version__,
        "skops_version": skops.__version__,
        "sha256": hashlib.sha256(data).hexdigest(),
        "size_bytes": len(data),
        **metadata,
    }
    metadata_path(path).write_text(json.dumps(meta, indent=2, sort_keys=False) + "\n",
                                   encoding="utf-8")
    return path


# --- loading ------------------------------------------------------------------------------


def artifact_types(path: Path) -> set[str]:
    """Every 'module.Class' named in a skops file's schema (what it would build)."""
    with zipfile.ZipFile(path) as z:
        schema = json.loads(z.read("schema.json"))
    found: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if "__class__" in node and "__module__" in node:
                found.add(f"{node['__module__']}.{node['__class__']}")
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(schema)
    return found


def read_metadata(path: Path) -> dict[str, Any]:
    meta_path = metadata_path(path)
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelError("metadata", f"model metadata {meta_path} is missing: the model cannot "
                         "be checked; run `jaga train` to rebuild both files") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ModelError("metadata", f"model metadata {meta_path} is unreadable ({e}); run "
                         "`jaga train` to rebuild it") from None
    required = ("format", "sha256", "sklearn_version", "corpus", "combine", "thresholds")
    missing = [k for k in required if not isinstance(meta, dict) or k not in meta]
    if missing:
        raise ModelError("metadata", f"model metadata {meta_path} lacks {', '.join(missing)}; "
                         "run `jaga train` to rebuild it")
    if meta["format"] != METADATA_FORMAT:
        raise ModelError("metadata", f"model metadata {meta_path} has format {meta['format']}, "
                         f"this jaga reads {METADATA_FORMAT}; run `jaga train`")
    corpus_hash = meta["corpus"].get("sha256") if isinstance(meta["corpus"], dict) else None
    if not (isinstance(corpus_hash, str) and re.fullmatch(r"[0-9a-f]{64}", corpus_hash)):
        raise ModelError("metadata", f"model metadata {meta_path} has no valid corpus hash: the "
                         "model's training data is unknown; run `jaga train`")
    return meta


def load_model(path: str | Path | None = None) -> RiskModel:
    """Check and load a model file; raise ModelError saying what is wrong and what to do."""
    import sklearn
    import skops.io

    path = Path(path) if path else DEFAULT_MODEL_PATH
    if not path.exists():
        raise ModelError("missing", f"model file {path} is missing; run `jaga train` to build it "
                         "(or set detection.model to an existing .skops file)")
    meta = read_metadata(path)
    try:
        digest = file_sha256(path)
    except OSError as e:
        raise ModelError("corrupted", f"model file {path} is unreadable: {e}") from None
    if digest != meta["sha256"]:
        raise ModelError("tampered", f"model file {path} does not match its metadata (sha256 "
                         f"{digest[:12]}..., expected {meta['sha256'][:12]}...): it was corrupted "
                         "or changed; restore the shipped file or run `jaga train`")
    if _sklearn_minor(meta["sklearn_version"]) != _sklearn_minor(sklearn.__version__):
        raise ModelError("version", f"model file {path} was saved by scikit-learn "
                         f"{meta['sklearn_version']}, this is {sklearn.__version__}; run "
                         "`jaga train` to rebuild it for this version")
    try:
        types = artifact_types(path)
        untrusted = set(skops.io.get_untrusted_types(file=path))
    except (zipfile.BadZipFile, KeyError, json.JSONDecodeError, OSError, ValueError) as e:
        raise ModelError("corrupted", f"model file {path} is not a readable skops file ({e}); "
                         "run `jaga train`") from None
    refused = sorted((types - ALLOWED_TYPES) | (untrusted - set(TRUSTED_TYPES)))
    if refused:
        raise ModelError("untrusted", f"model file {path} holds types that jaga does not trust: "
                         f"{', '.join(refused)}; it was not loaded. Use the shipped model or "
                         "one built by `jaga train`")
    try:
        pipeline = skops.io.load(path, trusted=TRUSTED_TYPES)
    except Exception as e:  # skops raises many kinds on a damaged schema
        raise ModelError("corrupted", f"model file {path} could not be loaded ({e}); "
                         "run `jaga train`") from None
    model = RiskModel(pipeline, meta, path)
    model.check()
    return model


_cache: dict[Path, RiskModel | ModelError] = {}
_cache_lock = threading.Lock()


def get_model(path: str | Path | None = None) -> RiskModel:
    """The model at `path` for scoring, loaded on first use and kept; a failure is remembered
    and re-raised (so a broken model is checked once, not at every message).

    The checks and the skops load run in a child process (classifiers/model_runtime.py), so
    that this process holds only the model's arrays, not scikit-learn."""
    key = Path(path).resolve() if path else DEFAULT_MODEL_PATH
    with _cache_lock:
        if key not in _cache:
            try:
                linear, meta = load_isolated(key)
                _cache[key] = RiskModel(None, meta, key, linear)
            except LoaderUnavailable as why:
                # e.g. a frozen mitmproxy binary as sys.executable: same checks, in process
                log.info("model loader process unavailable (%s): loading in this process", why)
                try:
                    _cache[key] = load_model(key)
                except ModelError as e:
                    _cache[key] = e
            except ModelError as e:
                _cache[key] = e
        found = _cache[key]
    if isinstance(found, ModelError):
        raise found
    return found


def clear_cache() -> None:
    with _cache_lock:
        _cache.clear()


# --- prediction ---------------------------------------------------------------------------


@dataclass
class RiskModel:
    """A loaded, checked model with its metadata: the Pipeline itself (load_model), or only its
    run-time arrays (get_model, which loads in a child process)."""

    pipeline: Any | None
    metadata: dict[str, Any]
    path: Path
    linear: LinearModel | None = None

    name = MODEL_NAME

    @property
    def version(self) -> str:
        return str(self.metadata["sha256"][:12])

    @property
    def threshold(self) -> float:
        """The model-only alert threshold on P(risk), chosen on cross-validated scores."""
        return float(self.metadata["thresholds"]["model"])

    @property
    def category_thresholds(self) -> dict[str, float]:
        return {c: float(t) for c, t in self.metadata["thresholds"]["categories"].items()}

    @property
    def combine(self) -> dict[str, float]:
        """Tuned weights of the combined score (see combined_score)."""
        return {k: float(v) for k, v in self.metadata["combine"].items()}

    def check(self) -> None:
        steps = getattr(self.pipeline, "named_steps", {})
        classify = steps.get("classify")
        n = len(getattr(classify, "estimators_", []))
        if "features" not in steps or n != len(OUTPUTS):
            raise ModelError("invalid", f"model file {self.path} is not a jaga model "
                             f"(expected {len(OUTPUTS)} outputs, found {n}); run `jaga train`")
        # The pair window is not in the Pipeline (it writes the input column): a model trained
        # with another window would be fed other pairs than it learnt.
        window = self.metadata.get("params", {}).get("pair_window")
        if window is not None and window != wordpairs.WINDOW:
            raise ModelError("invalid", f"model file {self.path} was trained with word pairs "
                             f"at most {window} words apart, this jaga reads them at most "
                             f"{wordpairs.WINDOW} apart; run `jaga train`")
        self.linear = LinearModel.from_pipeline(self.pipeline)

    def predict(self, texts: Sequence[str], directions: Sequence[str]) -> np.ndarray:
        """Probabilities, shape (len(texts), len(OUTPUTS)), for normalized texts."""
        if not len(texts):
            return np.zeros((0, len(OUTPUTS)))
        if self.linear is not None:
            return self.linear.predict(texts, directions)
        return self.predict_reference(texts, directions)

    def predict_reference(self, texts: Sequence[str], directions: Sequence[str]) -> np.ndarray:
        """The Pipeline's own predict_proba (slow per call; the run-time arrays must equal it)."""
        if self.pipeline is None:
            raise ValueError("this model was loaded as run-time arrays only (get_model)")
        inputs = model_inputs(texts, directions)
        # A model trained before word pairs (session 4) reads the first two columns only.
        columns = getattr(self.pipeline, "n_features_in_", inputs.shape[1])
        return np.asarray(self.pipeline.predict_proba(inputs[:, :columns]))


def combined_score(rule_score: float, model_probability: float, *, model_weight: float,
                   rule_weight: float, bias: float) -> float:
    """Combined risk score: sigmoid(model_weight * logit(m) + rule_weight * r + bias).

    A logistic combination fitted on cross-validated scores (classifiers/train.py), with the bias
    shifted so that the chosen alert point falls at 0.5 (detection.threshold's default).
    """
    m = min(max(model_probability, PROBABILITY_CLIP), 1 - PROBABILITY_CLIP)
    z = model_weight * math.log(m / (1 - m)) + rule_weight * rule_score + bias
    return 1.0 / (1.0 + math.exp(-z)) if z > -700 else 0.0
