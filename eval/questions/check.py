#!/usr/bin/env python3
"""Validate eval/questions/news2022-questions.jsonl against the news corpus.

Usage:
    python3 eval/questions/check.py [questions.jsonl] [--corpus PATH] [--seeds DIR] [-v]

Hard checks (any failure -> exit status 1):
  * every line is a JSON object with id/question/answers/articleIds/unanswerable
  * ids are unique; answerable ids start with "n", unanswerable with "u"
  * answerable: 1+ answers, each 1-6 words; every articleId exists in the corpus;
    at least one article (or seed file, via the optional "seedFiles" field) is
    listed, and EVERY answer string occurs (case-insensitive) in the text of at
    least one listed article / seed file
  * unanswerable: answers == [] and articleIds == []; "nearMiss", if present,
    is a boolean
  * at least 80 answerable, 25 unanswerable, 2 seed-based and 10 Kherson
    questions

Warnings (printed, do not fail):
  * an answer occurring in more than 150 corpus articles (not very specific)
  * a question sharing a run of 6+ consecutive words with its article
    (possible copying instead of paraphrasing)
  * an answer string appearing inside its own question
"""
import argparse
import collections
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_Q = os.path.join(HERE, "news2022-questions.jsonl")
DEFAULT_CORPUS = os.path.join(HERE, "..", "..", "..", "shared", "corpus", "news-2022.jsonl")
DEFAULT_SEEDS = os.path.join(HERE, "..", "..", "..", "shared", "seeds")

MIN_ANSWERABLE = 80
MIN_UNANSWERABLE = 25
MIN_SEED = 2
MIN_KHERSON = 10
MAX_ANSWER_WORDS = 6
COMMON_ANSWER_LIMIT = 150
COPY_NGRAM = 6

WORD = re.compile(r"[a-z0-9]+(?:['’-][a-z0-9]+)*")


def words(s):
    return WORD.findall(s.lower())


def longest_shared_run(q_words, text_ngrams_by_n, max_n=12):
    best = 0
    for n in range(COPY_NGRAM, max_n + 1):
        grams = {tuple(q_words[i:i + n]) for i in range(len(q_words) - n + 1)}
        if grams & text_ngrams_by_n(n):
            best = n
        else:
            break
    return best


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("questions", nargs="?", default=DEFAULT_Q)
    ap.add_argument("--corpus", default=DEFAULT_CORPUS)
    ap.add_argument("--seeds", default=DEFAULT_SEEDS)
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()

    corpus = {}
    with open(args.corpus, encoding="utf-8") as f:
        for line in f:
            a = json.loads(line)
            corpus[a["id"]] = a
    lower_texts = {i: a["text"].lower() for i, a in corpus.items()}

    errors, warnings = [], []
    items, ids = [], collections.Counter()

    with open(args.questions, encoding="utf-8") as f:
        for ln, line in enumerate(f, 1):
            if not line.strip():
                errors.append(f"line {ln}: blank line")
                continue
            try:
                d = json.loads(line)
            except json.JSONDecodeError as e:
                errors.append(f"line {ln}: invalid JSON ({e})")
                continue
            if not isinstance(d, dict):
                errors.append(f"line {ln}: not a JSON object")
                continue
            d["_line"] = ln
            items.append(d)
            ids[d.get("id")] += 1

    for i, c in ids.items():
        if c > 1:
            errors.append(f"duplicate id {i!r} ({c} times)")

    n_ans = n_unans = n_near = n_seed = n_kherson = 0
    outlets, months, topics = collections.Counter(), collections.Counter(), collections.Counter()
    answer_freq = {}

    for d in items:
        where = f"line {d['_line']} ({d.get('id')})"
        missing = [k for k in ("id", "question", "answers", "articleIds", "unanswerable") if k not in d]
        if missing:
            errors.append(f"{where}: missing fields {missing}")
            continue
        if not isinstance(d["id"], str) or not isinstance(d["question"], str) or not d["question"].strip():
            errors.append(f"{where}: id/question must be non-empty strings")
            continue
        if not isinstance(d["answers"], list) or not all(isinstance(a, str) for a in d["answers"]):
            errors.append(f"{where}: answers must be a list of strings")
            continue
        if not isinstance(d["articleIds"], list) or not all(isinstance(a, str) for a in d["articleIds"]):
            errors.append(f"{where}: articleIds must be a list of strings")
            continue
        if not isinstance(d["unanswerable"], bool):
            errors.append(f"{where}: unanswerable must be a boolean")
            continue
        if "kherson" in d["question"].lower():
            n_kherson += 1

        if d["unanswerable"]:
            n_unans += 1
            if not d["id"].startswith("u"):
                errors.append(f"{where}: unanswerable ids should start with 'u'")
            if d["answers"] or d["articleIds"]:
                errors.append(f"{where}: unanswerable question must have empty answers and articleIds")
            if "nearMiss" in d:
                if not isinstance(d["nearMiss"], bool):
                    errors.append(f"{where}: nearMiss must be a boolean")
                elif d["nearMiss"]:
                    n_near += 1
            continue

        # answerable
        n_ans += 1
        if not d["id"].startswith("n"):
            errors.append(f"{where}: answerable ids should start with 'n'")
        if "nearMiss" in d:
            errors.append(f"{where}: nearMiss only applies to unanswerable questions")
        if not d["answers"]:
            errors.append(f"{where}: answerable question needs at least one answer")
        for a in d["answers"]:
            nw = len(a.split())
            if not a.strip() or nw > MAX_ANSWER_WORDS:
                errors.append(f"{where}: answer {a!r} must be 1-{MAX_ANSWER_WORDS} words (has {nw})")

        sources = []  # (label, lowercased text)
        for aid in d["articleIds"]:
            if aid not in corpus:
                errors.append(f"{where}: unknown articleId {aid!r}")
            else:
                sources.append((aid, lower_texts[aid]))
                outlets[corpus[aid]["outlet"]] += 1
                months[corpus[aid]["date"][:7]] += 1
        seed_files = d.get("seedFiles", [])
        if seed_files:
            n_seed += 1
            if not isinstance(seed_files, list):
                errors.append(f"{where}: seedFiles must be a list")
                seed_files = []
        for sf in seed_files:
            p = os.path.join(args.seeds, sf)
            if not os.path.isfile(p):
                errors.append(f"{where}: seed file not found: {p}")
            else:
                with open(p, encoding="utf-8", errors="replace") as fh:
                    sources.append((sf, fh.read().lower()))
        if not sources:
            errors.append(f"{where}: answerable question lists no article (articleIds or seedFiles)")
            continue
        if "topic" in d:
            topics[d["topic"]] += 1

        for a in d["answers"]:
            al = a.lower()
            hits = [lbl for lbl, t in sources if al in t]
            if not hits:
                errors.append(f"{where}: answer {a!r} not found in any listed article {[l for l, _ in sources]}")
            elif args.verbose:
                print(f"  ok {d['id']}: {a!r} in {hits}")
            if al not in answer_freq:
                answer_freq[al] = sum(1 for t in lower_texts.values() if al in t)
            if answer_freq[al] > COMMON_ANSWER_LIMIT:
                warnings.append(f"{where}: answer {a!r} occurs in {answer_freq[al]} corpus articles (not very specific)")
            if al in d["question"].lower():
                warnings.append(f"{where}: answer {a!r} appears in the question itself")

        # paraphrase check: long verbatim word runs shared with the source text
        qw = words(d["question"])
        for lbl, t in sources:
            tw = words(t)
            cache = {}

            def grams(n, tw=tw, cache=cache):
                if n not in cache:
                    cache[n] = {tuple(tw[i:i + n]) for i in range(len(tw) - n + 1)}
                return cache[n]

            run = longest_shared_run(qw, grams)
            if run:
                warnings.append(f"{where}: question shares a {run}-word run with {lbl} (paraphrase more?)")

    if n_ans < MIN_ANSWERABLE:
        errors.append(f"only {n_ans} answerable questions (need >= {MIN_ANSWERABLE})")
    if n_unans < MIN_UNANSWERABLE:
        errors.append(f"only {n_unans} unanswerable questions (need >= {MIN_UNANSWERABLE})")
    if n_seed < MIN_SEED:
        errors.append(f"only {n_seed} seed-based questions (need >= {MIN_SEED})")
    if n_kherson < MIN_KHERSON:
        errors.append(f"only {n_kherson} questions mention Kherson (need >= {MIN_KHERSON})")

    print(f"file: {args.questions}")
    print(f"questions: {len(items)}  answerable: {n_ans} (seed-based: {n_seed})  "
          f"unanswerable: {n_unans} (nearMiss: {n_near})  mentioning Kherson: {n_kherson}")
    print(f"distinct outlets cited: {len(outlets)} -> " + ", ".join(f"{o} {c}" for o, c in outlets.most_common()))
    print(f"distinct months cited: {len(months)} -> " + ", ".join(f"{m} {c}" for m, c in sorted(months.items())))
    if topics:
        print(f"topics ({len(topics)}): " + ", ".join(f"{t} {c}" for t, c in topics.most_common()))
    for w in warnings:
        print("WARN  " + w)
    for e in errors:
        print("ERROR " + e)
    print("RESULT: " + ("FAIL" if errors else "PASS") + f" ({len(errors)} errors, {len(warnings)} warnings)")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
