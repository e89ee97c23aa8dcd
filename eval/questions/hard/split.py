#!/usr/bin/env python3
"""Assembles the hard question set's train / dev splits (about 60 / 40), split by groups of articles.

    python3 eval/questions/hard/split.py PART.jsonl... [--out eval/questions/hard]

Questions are grouped by every article they name (articleIds and nearArticleIds, connected: two
questions sharing any article are in one group; the same question text twice is one group too), and a
group goes to one split by a hash of its smallest article id (a question naming none: its own id), so
no article's questions sit in two splits and a question keeps its split when others are added. The
same question text is kept once (the smallest id).

There is no test bucket: the old test split (buckets 8-9) was read during development and is folded
into dev. A fresh test set is written apart from this script, after the models are frozen.
"""
import hashlib
import json
import os
import re
import sys

args = sys.argv[1:]
out = os.path.dirname(os.path.abspath(__file__))
if '--out' in args:
    i = args.index('--out')
    out = args[i + 1]
    del args[i:i + 2]


def split_of(key):
    bucket = int(hashlib.sha1(key.encode()).hexdigest()[:8], 16) % 10
    return 'train' if bucket < 6 else 'dev'


parent = {}


def find(x):
    parent.setdefault(x, x)
    while parent[x] != x:
        parent[x] = parent[parent[x]]
        x = parent[x]
    return x


def union(a, b):
    ra, rb = find(a), find(b)
    if ra != rb:
        parent[max(ra, rb)] = min(ra, rb)


def text_key(q):
    return ' '.join(re.findall(r"[a-z0-9']+", q['question'].lower()))


by_text = {}
for path in args:
    for line in open(path, encoding='utf-8'):
        if line.strip():
            q = json.loads(line)
            kept = by_text.get(text_key(q))
            if kept is None or q['id'] < kept['id']:
                by_text[text_key(q)] = q

# Nodes: 'a:' + article id, 'q:' + question id (for questions naming no article). Article nodes sort first.
for q in by_text.values():
    nodes = ['a:' + a for a in (q.get('articleIds') or []) + (q.get('nearArticleIds') or [])] or ['q:' + q['id']]
    for n in nodes[1:]:
        union(nodes[0], n)
    find(nodes[0])

splits = {'train': [], 'dev': []}
for q in by_text.values():
    first = ('a:' + a for a in (q.get('articleIds') or []) + (q.get('nearArticleIds') or []))
    root = find(next(first, 'q:' + q['id']))
    splits[split_of(root[2:])].append(q)
for name, items in splits.items():
    items.sort(key=lambda q: q['id'])
    with open(os.path.join(out, f'{name}.jsonl'), 'w', encoding='utf-8') as f:
        for q in items:
            f.write(json.dumps(q, ensure_ascii=False) + '\n')
    ans = sum(1 for q in items if not q.get('unanswerable'))
    print(f'{name}: {len(items)} questions ({ans} answerable, {len(items) - ans} unanswerable)')
