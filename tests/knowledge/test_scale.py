"""The retriever on knowledge bases too big to score in full: candidates, centroid classifier, IVF."""

from __future__ import annotations

import numpy as np
import pytest

from knowledge import classifier as classifier_module
from knowledge import dense as dense_module
from knowledge.abstention import Thresholds
from knowledge.calibration import Calibration
from knowledge.classifier import LOGISTIC_MAX_LABELS, PhrasingClassifier
from knowledge.dense import DenseIndex
from knowledge.entries import FaqEntry
from knowledge.fusion import SIGNALS, FusionWeights
from knowledge.index import build_retriever
from knowledge.retriever import HybridRetriever
from tests.knowledge.fakes import HashingEmbedder

PRODUCTS = [("kettle", "电水壶"), ("fan", "电风扇"), ("heater", "取暖器"), ("lamp", "台灯"), ("scale", "体重秤")]
TOPICS = [
    ("warranty", "How long is the warranty of the {p} {m}?", "{m}{p}保修多久", "{p} {m} warranty period"),
    ("manual", "Where is the manual of the {p} {m}?", "{m}{p}说明书在哪", "{p} {m} user guide download"),
    ("reset", "How do I reset the {p} {m}?", "{m}{p}怎么恢复出厂设置", "factory reset {p} {m}"),
    ("noise", "Why is the {p} {m} noisy?", "{m}{p}有异响", "{p} {m} strange noise"),
]
MODELS = [f"{letter}{number}" for letter in "ACEGKMRTVX" for number in range(1, 4)]


def catalogue() -> list[FaqEntry]:
    """5 products × 30 models × 4 topics = 600 entries: well beyond the logistic classifier."""
    entries = []
    for product, product_zh in PRODUCTS:
        for model in MODELS:
            for topic, en, zh, short in TOPICS:
                entries.append(
                    FaqEntry(
                        id=f"{product}-{model.lower()}-{topic}",
                        category=topic,
                        questions={
                            "en": [en.format(p=product, m=model), short.format(p=product, m=model)],
                            "zh": [zh.format(p=product_zh, m=model)],
                        },
                        answer={"en": f"{topic} of {model}", "zh": f"{model}的{topic}"},
                    )
                )
    return entries


@pytest.fixture(scope="module")
def big() -> HybridRetriever:
    thresholds = Thresholds(answer=0.5, margin=0.1, clarify=0.2)
    # Fixed fusion weights: learning them from held-out phrasings needs phrasings of an entry that
    # its template twins (the same question about another model) do not share.
    calibration = Calibration({"zh": thresholds, "en": thresholds}, FusionWeights())
    return build_retriever(
        catalogue(), HashingEmbedder(), calibration, dense_languages=["en"], reuse_calibrated_fusion=True
    )


def test_big_knowledge_base_uses_candidates_and_centroids(big: HybridRetriever) -> None:
    assert len(big.entries) > LOGISTIC_MAX_LABELS
    assert not big.signals.classifier.exhaustive


@pytest.mark.parametrize(
    ("query", "language", "expected"),
    [
        ("warranty period of the kettle C2", "en", "kettle-c2-warranty"),
        ("how to download the user guide for fan X3", "en", "fan-x3-manual"),
        ("factory reset heater M1", "en", "heater-m1-reset"),
        ("T2台灯保修多长时间", "zh", "lamp-t2-warranty"),
        ("K3体重秤的说明书在哪里", "zh", "scale-k3-manual"),
        ("V1电风扇有异响怎么办", "zh", "fan-v1-noise"),
    ],
)
def test_big_knowledge_base_ranks_the_right_entry_first(
    big: HybridRetriever, query: str, language: str, expected: str
) -> None:
    result = big.search(query, language)  # type: ignore[arg-type]
    assert result.top is not None
    assert result.top.entry.id == expected


def test_candidate_ranking_is_the_full_ranking(big: HybridRetriever) -> None:
    """Scoring only the candidates ranks as scoring every entry (non-candidates all at zero) would."""
    for query, language in [("reset fan A1", "en"), ("G2取暖器说明书", "zh"), ("completely unrelated words", "en")]:
        vector = big.query_vector(query, language)  # type: ignore[arg-type]
        features = big.signals.features(query, vector, language)  # type: ignore[arg-type]
        scores = big.fusion.score(features, language)  # type: ignore[arg-type]
        full = np.argsort(-scores, kind="stable")[:5]
        result = big.search(query, language, k=5)  # type: ignore[arg-type]
        assert [hit.entry.id for hit in result.hits] == [big.entries[i].id for i in full]
        assert [hit.score for hit in result.hits] == pytest.approx([float(scores[i]) for i in full], abs=1e-6)
        assert all(set(hit.signals) == set(SIGNALS) for hit in result.hits)
        assert [h.score for h in result.hits] == sorted((h.score for h in result.hits), reverse=True)


def test_a_question_with_no_known_word_still_gets_hits(big: HybridRetriever) -> None:
    result = big.search("天气晴朗", "zh", k=3)
    assert len(result.hits) == 3
    assert [h.entry.id for h in result.hits] == [e.id for e in big.entries[:3]]


def test_logistic_probabilities_match_scikit_learn() -> None:
    """The classifier's own query features and softmax are what scikit-learn would compute."""
    from scipy.sparse import hstack
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    from knowledge.text import lexical_tokens, normalise

    entries = catalogue()[:40]
    texts = [text for e in entries for _, text in e.phrasings()]
    labels = [row for row, e in enumerate(entries) for _ in e.phrasings()]
    ours = PhrasingClassifier(texts, labels, len(entries))
    chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3), sublinear_tf=True, min_df=1)
    words = TfidfVectorizer(analyzer=lambda text: lexical_tokens(text), sublinear_tf=True)
    x = hstack([chars.fit_transform([normalise(t) for t in texts]), words.fit_transform(texts)]).tocsr()
    reference = LogisticRegression(C=20.0, max_iter=2000).fit(x, labels)
    for query in ["kettle A1 warranty", "A2电水壶说明书在哪里", "something else entirely"]:
        row = hstack([chars.transform([normalise(query)]), words.transform([query])]).tocsr()
        expected = reference.predict_proba(row)[0]
        assert ours.probabilities(query) == pytest.approx(expected, abs=1e-5)


def test_centroid_probabilities_cover_the_asked_labels(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(classifier_module, "LOGISTIC_MAX_LABELS", 3)
    texts = ["kettle warranty", "kettle manual", "fan warranty", "fan manual", "lamp noise"]
    model = PhrasingClassifier(texts, [0, 1, 2, 3, 4], 5)
    assert not model.exhaustive
    asked = np.asarray([0, 2, 4], dtype=np.int64)
    probabilities = model.probabilities("kettle warranty", asked)
    assert probabilities.shape == (3,)
    assert float(probabilities.sum()) == pytest.approx(1.0)
    assert int(np.argmax(probabilities)) == 0


def test_big_dense_index_is_an_inverted_file_that_finds_neighbours(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dense_module, "FLAT_MAX_VECTORS", 500)
    rng = np.random.default_rng(0)
    vectors = rng.standard_normal((3000, 32)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    index = DenseIndex(vectors)
    assert index.kind == "IndexIVFFlat"
    assert index.size == 3000
    scores, rows = index.search(vectors[:20], 5)
    assert (rows[:, 0] == np.arange(20)).all()
    assert scores[:, 0] == pytest.approx(1.0, abs=1e-5)
