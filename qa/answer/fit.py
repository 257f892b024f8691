"""Fit the answer model on question sets, and report it out of fold.

    python -m qa.answer.fit --set dev-rok2020.jsonl=IDX_ROK --set dev-multi.jsonl=IDX_MULTI ...
        [--out qa/answer/answer_model.json] [--folds DIR] [--cache data.pkl]

Each question set is asked of its index as ``citeqa eval`` asks it (conversations with their
earlier turns). For each question the candidate sentences and rows of its top passages are
labelled by whether they hold the gold span; unanswerable questions (``"answer": null``) label
every candidate false. Then:

- the prefilter and the ranker are linear scores over the candidates' features, fitted so that
  the candidates holding the gold span take the largest softmax share of their question's;
- the confidence is a logistic regression over the question's features, each computed with a
  ranker fitted without that question's file (so its inputs look as they will on new
  questions), labelled by whether the answer holds the gold span; the "not found" threshold is
  the one that best separates answerable from unanswerable questions while answering at
  least ``ANSWERED_TARGET`` of the answerable ones;
- the short answer is a logistic regression over the phrases of candidate sentences, labelled
  by whether the phrase holds the gold span.

``--folds DIR`` also fits one model per question file without it and asks that file with it
(leave one file out): the figures printed are out of fold. Needs scikit-learn (the dev extra).
"""

from __future__ import annotations

import argparse
import logging
import pickle
import sys
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from qa.answer.extractive import question_signals
from qa.answer.features import (
    CHEAP,
    QUESTION,
    RANKER,
    QuestionSignals,
    candidate_table,
    dense_features,
    question_features,
)
from qa.answer.model import DEFAULT_PATH, AnswerModel, Linear
from qa.answer.question import QuestionAnalysis, analyse
from qa.answer.ranking import ScoredSentence, embedded, near_best
from qa.answer.scoring import similarities
from qa.answer.shortanswer import (
    SHORT_SENTENCES,
    SPAN_FEATURES,
    asking,
    best_phrase,
    phrase_features,
    phrases,
)
from qa.engine import Engine
from qa.evaluate import Question, load_questions, normalize
from qa.text import YEAR
from qa.types import Answer, Hit

logger = logging.getLogger(__name__)

# The "not found" threshold keeps answering at least this share of answerable questions.
ANSWERED_TARGET = 0.95
# Regularisation of every logistic regression (sklearn's C): strong enough that a few hundred
# questions cannot pin a weight on one of them.
REGULARISATION = 0.5
# The rankers' L2 penalty on standardised weights (summed over a few hundred questions).
LISTWISE_PENALTY = 10.0
SHORT_PENALTY = 3.0
EXTRA_SHARES = (0.1, 0.2, 0.3, 0.5, 0.7, 1.0)
PHRASE_SENTENCES_KEPT = 10
# A phrase teaches the short answer when it holds the gold span with at most this many words
# more: the ranker learns to cut the answer out, not to quote most of the sentence.
SHORT_SLACK_WORDS = 3
# Every this many questions of a file get an unanswerable twin (see ``collect``).
TWIN_EVERY = 2
# A near-miss twin asks about a year this far from the one its question names.
SWAP_YEARS = 7
# A wrong short answer (shown in bold) costs this many right ones.
WRONG_SHORT_COST = 0.25


@dataclass
class QuestionData:
    """One asked question: its candidates' features and labels, and its phrases'."""

    file: str
    question: str
    answerable: bool
    analysis: QuestionAnalysis
    signals: QuestionSignals
    cheap: np.ndarray  # (n, len(CHEAP))
    dense: np.ndarray  # (n,)
    labels: np.ndarray  # (n,) bool: the candidate holds the gold span
    passages: int
    phrase_rows: list[np.ndarray]  # per candidate: (m_i, len(SPAN_FEATURES))
    phrase_labels: list[np.ndarray]  # per candidate: (m_i,) bool: holds gold, few words more
    phrase_holds: list[np.ndarray]  # per candidate: (m_i,) bool: holds the gold span
    asked: str = ""  # the words a short answer should not repeat (see ``shortanswer.asking``)
    gold: str | None = None
    # Per candidate, the sentence whose phrases were collected ("" where none were), so that
    # a cache survives changes to the phrase features.
    sentences: tuple[str, ...] = ()
    twin: bool = False  # asked over another question's passages: unanswerable by design


def _holds(gold: str | None, text: str) -> bool:
    return gold is not None and normalize(gold) in normalize(text)


def _question_data(
    engine: Engine,
    file: str,
    question: str,
    query: str,
    own: Sequence[str] | None,
    hits: Sequence[Hit],
    gold: str | None,
) -> QuestionData:
    """The features and labels of ``query`` (``question`` resolved) over ``hits``."""
    analysis = analyse(query)
    passages = min(engine.settings.answer_passages, len(hits))
    table = candidate_table(query, hits, analysis, passages=passages, own_words=own)
    texts = [c.unit.scored for c in table.candidates]
    vector = engine.encoder.encode([query])[0]
    dense = similarities(engine.encoder, query, texts, vector) if texts else np.zeros(0)
    quoted = [c.unit.sentence.text for c in table.candidates]
    labels = np.array([_holds(gold, t) for t in quoted], dtype=bool)
    carrying = tuple(
        ScoredSentence(c.passage, c.index, c.unit.sentence, 0, 0, 0, 0, c.unit.row, True, t)
        for c, t, carried in zip(table.candidates, texts, table.column("carries"), strict=True)
        if carried
    )
    signals = question_signals(query, analysis, hits, carrying)
    # Phrases of the sentences that may be quoted first: those holding the gold span and the
    # closest by similarity and words (the rest are never the best sentence).
    promising = set(np.argsort(-(dense + table.column("lexical")))[:PHRASE_SENTENCES_KEPT])
    sentences = tuple(t if i in promising or labels[i] else "" for i, t in enumerate(quoted))
    asked = asking(query, own)
    phrase_rows, phrase_labels, phrase_holds = _phrase_data(analysis, asked, sentences, gold)
    return QuestionData(
        file,
        question,
        gold is not None,
        analysis,
        signals,
        table.cheap,
        np.asarray(dense, dtype=np.float64),
        labels,
        passages,
        phrase_rows,
        phrase_labels,
        phrase_holds,
        asked,
        gold,
        sentences,
    )


def _phrase_data(
    analysis: QuestionAnalysis, asked: str, sentences: Sequence[str], gold: str | None
) -> tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]]:
    """Per sentence, its phrases' features, whether each is a right short answer to learn
    from (the gold span and at most ``SHORT_SLACK_WORDS`` more) and whether each holds it."""
    rows, labels, holds = [], [], []
    longest = len(gold.split()) + SHORT_SLACK_WORDS if gold else 0
    for sentence in sentences:
        found = phrases(analysis, asked, sentence) if sentence else []
        rows.append(
            phrase_features(analysis, asked, sentence, found)
            if found
            else np.zeros((0, len(SPAN_FEATURES)))
        )
        held = np.array([_holds(gold, p.text) for p in found], dtype=bool)
        holds.append(held)
        labels.append(held & np.array([len(p.text.split()) <= longest for p in found], dtype=bool))
    return rows, labels, holds


def _rephrased(data: QuestionData) -> QuestionData:
    """``data`` with its phrases found again by today's code (its passages' features kept)."""
    rows, labels, holds = _phrase_data(data.analysis, data.asked, data.sentences, data.gold)
    return replace(data, phrase_rows=rows, phrase_labels=labels, phrase_holds=holds)


def collect(engine: Engine, questions: Sequence[Question], file: str) -> list[QuestionData]:
    """Features and labels of every question of ``file`` asked of ``engine``, with unanswerable
    twins: every ``TWIN_EVERY``-th question asked over the passages found for another question
    of the file (as when a collection lacks the topic), and near misses of the others (see
    ``_swapped``), each kept only when its passages do not answer it after all."""
    depth = max(engine.settings.top_k, engine.settings.answer_passages)
    out = []
    found: list[tuple[str, Sequence[str] | None, list[Hit]]] = []
    for question in questions:
        history: list[tuple[str, Answer]] = []
        for turn in question.history:
            history.append((turn, engine.ask(turn, history=history or None)))
        resolution = engine.resolve(question.question, history or None)
        hits = engine.search(question.question, k=depth, history=history or None)
        own = resolution.own_words if resolution.followup else None
        found.append((resolution.query, own, hits))
        out.append(
            _question_data(
                engine, file, question.question, resolution.query, own, hits, question.answer
            )
        )
    for i in range(0, len(questions), TWIN_EVERY):
        query, own, _ = found[i]
        hits = found[(i + len(found) // 2) % len(found)][2]
        gold = questions[i].answer
        if len(found) < 2 or any(_holds(gold, h.chunk.text) for h in hits):
            continue
        twin = _question_data(engine, file, questions[i].question, query, own, hits, None)
        out.append(replace(twin, twin=True))
    names = [n for q in questions if not q.history for n in analyse(q.question).names]
    for i in range(1, len(questions), TWIN_EVERY):
        swapped = _swapped(questions[i], names, i)
        if swapped is None:
            continue
        hits = engine.search(swapped, k=depth)
        if any(_holds(questions[i].answer, h.chunk.text) for h in hits[:1]):
            # The swapped name or year still finds the answer first: too close to call.
            continue
        twin = _question_data(engine, file, swapped, swapped, None, hits, None)
        out.append(replace(twin, twin=True))
    return out


def _swapped(question: Question, names: Sequence[str], seed: int) -> str | None:
    """A near miss of an answerable single question: a year moved by a few years, or a name it
    asks about swapped for a name another question of the set asks about."""
    if question.answer is None or question.history:
        return None
    text = question.question
    years = YEAR.findall(text)
    if years and seed % 2:
        moved = str(int(years[-1]) + SWAP_YEARS)
        return text.replace(years[-1], moved)
    own = [n for n in analyse(text).names if n in text and not any(c.isdigit() for c in n)]
    others = [n for n in names if n not in text and not any(c.isdigit() for c in n)]
    if not own or not others:
        return None
    return text.replace(own[0], others[seed % len(others)], 1)


def _standardisation(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(n, d) features -> (d,) mean and (d,) scale (the standard deviation, 1 for a constant
    feature): what ``Linear`` subtracts and divides by."""
    scale = rows.std(axis=0)
    scale[scale < 1e-9] = 1.0
    return rows.mean(axis=0), scale


def _fit_linear(rows: np.ndarray, labels: np.ndarray, names: tuple[str, ...]) -> Linear:
    from sklearn.linear_model import LogisticRegression

    mean, scale = _standardisation(rows)
    fitted = LogisticRegression(C=REGULARISATION, max_iter=2000)
    fitted.fit((rows - mean) / scale, labels.astype(int))
    return Linear(
        names, mean, scale, fitted.coef_[0].astype(np.float64), float(fitted.intercept_[0])
    )


def _fit_listwise(
    groups: Sequence[tuple[np.ndarray, np.ndarray]],
    names: tuple[str, ...],
    penalty: float = LISTWISE_PENALTY,
) -> Linear:
    """A ranker: weights maximising, over the questions, the softmax share of the candidates
    that hold the gold span among all of the question's candidates (with an L2 penalty).

    ``groups``: per question, (n, len(names)) features and (n,) bool labels. Scores are only
    compared within a question, so the intercept is 0.
    """
    from scipy.optimize import minimize
    from scipy.special import logsumexp

    rows = np.vstack([r for r, _ in groups])
    mean, scale = _standardisation(rows)
    standard = [((r - mean) / scale, y) for r, y in groups if y.any()]

    def loss(weights: np.ndarray) -> tuple[float, np.ndarray]:
        total = penalty * float(weights @ weights)
        gradient = 2 * penalty * weights
        for z, y in standard:
            scores = z @ weights
            every, right = logsumexp(scores), logsumexp(scores[y])
            total -= right - every
            share = np.exp(scores - every)
            target = np.zeros_like(scores)
            target[y] = np.exp(scores[y] - right)
            gradient -= z.T @ (target - share)
        return total, gradient

    weights = minimize(loss, np.zeros(len(names)), jac=True, method="L-BFGS-B").x
    return Linear(names, mean, scale, weights, 0.0)


@dataclass(frozen=True)
class Simulated:
    """What the answer stage would do with one question under a prefilter and a ranker."""

    order: np.ndarray  # candidate indices of the embedded candidates, best first
    logits: np.ndarray
    rows: np.ndarray  # (len(order), len(RANKER))


def simulate(data: QuestionData, prefilter: Linear, ranker: Linear) -> Simulated:
    if not len(data.labels):
        return Simulated(np.zeros(0, dtype=int), np.zeros(0), np.zeros((0, len(RANKER))))
    chosen = embedded(prefilter, data.cheap, data.passages)
    rows = np.hstack([data.cheap[chosen], dense_features(data.dense[chosen])])
    logits = ranker.logits(rows)
    order = np.argsort(-logits, kind="stable")
    return Simulated(chosen[order], logits[order], rows[order])


def _selected(simulated: Simulated, extra_share: float, limit: int = 3) -> np.ndarray:
    """The candidates the answer would quote (see ``extractive._select``), duplicates aside."""
    if not len(simulated.logits):
        return simulated.order
    return simulated.order[near_best(simulated.logits, extra_share)][:limit]


def _rankers(train: Sequence[QuestionData]) -> tuple[Linear, Linear]:
    asked = [d for d in train if len(d.labels)]
    prefilter = _fit_listwise([(d.cheap, d.labels) for d in asked], CHEAP)
    full = [(np.hstack([d.cheap, dense_features(d.dense)]), d.labels) for d in asked]
    return prefilter, _fit_listwise(full, RANKER)


def _question_rows(
    data: Sequence[QuestionData], prefilter: Linear, ranker: Linear, extra_share: float
) -> tuple[np.ndarray, np.ndarray]:
    """(questions, len(QUESTION)) features and whether each answer holds the gold span."""
    rows, correct = [], []
    for d in data:
        simulated = simulate(d, prefilter, ranker)
        rows.append(question_features(simulated.logits, simulated.rows, d.analysis, d.signals))
        correct.append(bool(d.labels[_selected(simulated, extra_share)].any()))
    return np.array(rows).reshape(len(rows), len(QUESTION)), np.array(correct, dtype=bool)


def _out_of_file(
    train: Sequence[QuestionData], extra_share: float
) -> tuple[np.ndarray, np.ndarray]:
    """Question rows of ``train``, each computed by rankers fitted without its file."""
    files = sorted({d.file for d in train})
    rows = np.zeros((len(train), len(QUESTION)))
    correct = np.zeros(len(train), dtype=bool)
    for file in files:
        held = [i for i, d in enumerate(train) if d.file == file]
        rest = [d for d in train if d.file != file]
        prefilter, ranker = _rankers(rest) if len(files) > 1 else _rankers(train)
        part, right = _question_rows([train[i] for i in held], prefilter, ranker, extra_share)
        rows[held], correct[held] = part, right
    return rows, correct


def _threshold(confidence: np.ndarray, answerable: np.ndarray) -> float:
    """The cut that answers at least ``ANSWERED_TARGET`` of the answerable questions and,
    within that, abstains on the most unanswerable ones."""
    if not answerable.any():
        return 0.5
    cuts = np.unique(np.concatenate([[0.0], confidence]))
    best, best_cut = -1.0, 0.0
    for cut in cuts:
        answered = (confidence[answerable] >= cut).mean()
        if answered < ANSWERED_TARGET:
            continue
        abstained = (confidence[~answerable] < cut).mean() if (~answerable).any() else 0.0
        score = abstained + 1e-3 * answered
        if score > best:
            best, best_cut = score, float(cut)
    # Halfway down to the next confidence below the cut: the same questions are answered, with
    # a margin for new ones.
    below = confidence[confidence < best_cut]
    return float((best_cut + below.max()) / 2) if len(below) else best_cut


def _short_choice(
    data: QuestionData, simulated: Simulated, phrase_ranker: Linear
) -> tuple[bool, float] | None:
    """Whether the short answer the answer stage would pick holds the gold span, and its share
    among its sentence's phrases (see ``shortanswer.best_phrase``); None without phrases."""
    if not len(simulated.order):
        return None
    probabilities = np.exp(simulated.logits - np.logaddexp.reduce(simulated.logits))
    quoted = simulated.order[:SHORT_SENTENCES]
    scores = [phrase_ranker.logits(data.phrase_rows[i]) for i in quoted]
    chosen = best_phrase(scores, probabilities[: len(quoted)])
    if chosen is None:
        return None
    sentence, phrase, share = chosen
    return bool(data.phrase_holds[quoted[sentence]][phrase]), share


def _phrase_ranker(train: Sequence[QuestionData]) -> Linear:
    """The phrase ranker, fitted on the phrases of the sentences that hold the gold span."""
    groups = [
        (d.phrase_rows[i], d.phrase_labels[i])
        for d in train
        for i in np.flatnonzero(d.labels)
        if d.phrase_labels[i].any()
    ]
    return _fit_listwise(groups, SPAN_FEATURES, SHORT_PENALTY)


def _short_model(
    train: Sequence[QuestionData], prefilter: Linear, ranker: Linear
) -> tuple[Linear, float]:
    """The phrase ranker and its threshold on the chosen phrase's share among its sentence's
    phrases (see ``_short_choice``): the share above which short answers gain most, a right
    one (holding the gold span) counting 1 and a wrong one ``WRONG_SHORT_COST``. The shares
    are those of phrase rankers fitted without each question's file, as new questions get."""
    files = sorted({d.file for d in train})
    shares, right = [], []
    for file in files:
        held = [d for d in train if d.file == file and d.answerable]
        outside = [d for d in train if d.file != file] if len(files) > 1 else train
        phrase_ranker = _phrase_ranker(outside)
        for d in held:
            chosen = _short_choice(d, simulate(d, prefilter, ranker), phrase_ranker)
            if chosen is not None:
                shares.append(chosen[1])
                right.append(chosen[0])
    p, r = np.array(shares), np.array(right)
    gains = [(r[p >= c].sum() - WRONG_SHORT_COST * (~r[p >= c]).sum(), -c) for c in np.unique(p)]
    return _phrase_ranker(train), float(-max(gains)[1]) if gains else 0.5


def fit(data: Sequence[QuestionData]) -> AnswerModel:
    prefilter, ranker = _rankers(data)
    best_share, best_right = 1.0, -1
    for share in EXTRA_SHARES:
        right = sum(
            bool(d.labels[_selected(simulate(d, prefilter, ranker), share)].any()) for d in data
        )
        if right > best_right:
            best_share, best_right = share, right
    rows, correct = _out_of_file(data, best_share)
    confidence = _fit_linear(rows, correct, QUESTION)
    answerable = np.array([d.answerable for d in data], dtype=bool)
    threshold = _threshold(confidence.probabilities(rows), answerable)
    short, short_threshold = _short_model(data, prefilter, ranker)
    return AnswerModel(
        prefilter=prefilter,
        ranker=ranker,
        confidence=confidence,
        short=short,
        threshold=threshold,
        extra_share=best_share,
        short_threshold=short_threshold,
        fitted_on=tuple(sorted({d.file for d in data})),
    )


def _parse_sets(values: Sequence[str]) -> list[tuple[Path, Path]]:
    pairs = []
    for value in values:
        file, sep, index = value.partition("=")
        if not sep:
            raise SystemExit(f"--set takes FILE=INDEX, got {value!r}")
        pairs.append((Path(file), Path(index)))
    return pairs


def _collect_all(pairs: Sequence[tuple[Path, Path]], cache: Path | None) -> list[QuestionData]:
    if cache is not None and cache.exists():
        import __main__

        # Caches written before by this script as __main__ name the class there.
        __main__.QuestionData = QuestionData  # type: ignore[attr-defined]
        with cache.open("rb") as f:
            cached = pickle.load(f)
        # The passages' features stay; the phrases are found again by today's code.
        return [_rephrased(d) for d in cached]
    # Run as a script this module is __main__: collect through its importable name, so that
    # the cache holds qa.answer.fit.QuestionData.
    from qa.answer import fit as module

    data: list[QuestionData] = []
    engines: dict[Path, Engine] = {}
    for file, index in pairs:
        engine = engines.get(index) or Engine.open(index, create=False)
        engines[index] = engine
        data.extend(module.collect(engine, load_questions(file), file.name))
        logger.info("%s: %d questions collected", file.name, len(load_questions(file)))
    if cache is not None:
        with cache.open("wb") as f:
            pickle.dump(data, f)
    return data


def report_folds(
    pairs: Sequence[tuple[Path, Path]], data: Sequence[QuestionData], folder: Path
) -> None:
    """Leave one file out: fit without each file, ask it with that model, print its report."""
    from qa.evaluate import evaluate

    folder.mkdir(parents=True, exist_ok=True)
    for file, index in pairs:
        model = fit([d for d in data if d.file != file.name])
        path = folder / f"without-{file.stem}.json"
        model.save(path)
        engine = Engine.open(index, create=False)
        engine.settings = replace(engine.settings, answer_model=str(path))
        report = evaluate(engine, load_questions(file))
        print(report.format(f"{file.name} (out of fold)"), flush=True)
        engine.close()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m qa.answer.fit", description=__doc__)
    parser.add_argument("--set", action="append", required=True, metavar="FILE=INDEX")
    parser.add_argument("--out", type=Path, default=DEFAULT_PATH)
    parser.add_argument("--folds", type=Path, help="also report leave-one-file-out figures")
    parser.add_argument("--cache", type=Path, help="keep the collected features here")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    pairs = _parse_sets(args.set)
    data = _collect_all(pairs, args.cache)
    model = fit(data)
    model.save(args.out)
    print(f"model fitted on {len(data)} questions written to {args.out}")
    if args.folds is not None:
        report_folds(pairs, data, args.folds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
