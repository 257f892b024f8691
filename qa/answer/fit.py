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
from dataclasses import replace
from pathlib import Path

from qa.answer.model import DEFAULT_PATH
from qa.answer.training import fit
from qa.answer.training_data import QuestionData, collect, rephrased
from qa.engine import Engine
from qa.evaluate import load_questions

logger = logging.getLogger(__name__)


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

        # Caches written before by this script as __main__ name the class there (and later
        # ones qa.answer.fit.QuestionData, which this module imports).
        __main__.QuestionData = QuestionData  # type: ignore[attr-defined]
        with cache.open("rb") as f:
            cached = pickle.load(f)
        # The passages' features stay; the phrases are found again by today's code.
        return [rephrased(d) for d in cached]
    data: list[QuestionData] = []
    engines: dict[Path, Engine] = {}
    for file, index in pairs:
        engine = engines.get(index) or Engine.open(index, create=False)
        engines[index] = engine
        data.extend(collect(engine, load_questions(file), file.name))
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
