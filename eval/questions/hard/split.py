#!/usr/bin/env python3
"""Assembles the hard question set's train / dev / test splits (about 60 / 20 / 20), split by article.

    python3 eval/questions/hard/split.py PART.jsonl... [--out eval/questions/hard]

A question goes where its article goes (unanswerable ones: the first article of the topic they ask
about, else their own id), by a hash, so questions about one article never sit in two splits and a
question keeps its split when others are added.
"""
import hashlib
import json
import os
import sys

args = sys.argv[1:]
out = os.path.dirname(os.path.abspath(__file__))
if '--out' in args:
    i = args.index('--out')
    out = args[i + 1]
    del args[i:i + 2]


def split_of(key):
    bucket = int(hashlib.sha1(key.encode()).hexdigest()[:8], 16) % 10
    return 'train' if bucket < 6 else 'dev' if bucket < 8 else 'test'


splits = {'train': [], 'dev': [], 'test': []}
for path in args:
    for line in open(path, encoding='utf-8'):
        if not line.strip():
            continue
        q = json.loads(line)
        key = (q.get('articleIds') or q.get('nearArticleIds') or [q['id']])[0]
        splits[split_of(key)].append(q)
for name, items in splits.items():
    items.sort(key=lambda q: q['id'])
    with open(os.path.join(out, f'{name}.jsonl'), 'w', encoding='utf-8') as f:
        for q in items:
            f.write(json.dumps(q, ensure_ascii=False) + '\n')
    ans = sum(1 for q in items if not q.get('unanswerable'))
    print(f'{name}: {len(items)} questions ({ans} answerable, {len(items) - ans} unanswerable)')
