"""Sample CLINC150's everyday requests into our train/dev/test splits (off-topic for a news archive).

Source: https://github.com/clinc/oos-eval, data/data_full.json (Larson et al., EMNLP 2019; CC BY 3.0):
crowd-written requests to a virtual assistant in 150 intents (banking, travel, cooking, small talk, ...).
CLINC's own splits are kept: its train -> ours train, its val -> dev, its test -> test, so a question
never crosses splits. Left out: CLINC's out-of-scope queries (some ask for the news: "what were the top
stories this week") and the intent travel_alert ("is it safe to travel to X", which a news archive can
answer). Usage: python3 sample.py data_full.json
"""
import json
import random
import sys
from collections import defaultdict

PER_INTENT = {"train": ("train", 30), "dev": ("val", 5), "test": ("test", 5)}
EXCLUDED = {"travel_alert"}

data = json.load(open(sys.argv[1]))
for ours, (theirs, n) in PER_INTENT.items():
    by_intent = defaultdict(list)
    for text, intent in data[theirs]:
        if intent not in EXCLUDED:
            by_intent[intent].append(text)
    rng = random.Random(f"everyday-{ours}")
    with open(f"{ours}.jsonl", "w") as out:
        for intent in sorted(by_intent):
            for i, text in enumerate(rng.sample(by_intent[intent], n)):
                row = {"id": f"clinc-{ours}-{intent}-{i}", "question": text, "category": "offtopic", "intent": intent, "answerable": False}
                out.write(json.dumps(row) + "\n")
