#!/usr/bin/env python3
"""Does a non-linear ranker beat the linear one on the same features? (BENCHMARKS.md, session 13)

    npx tsx bench/pools-dump.ts /tmp/pools.jsonl
    /usr/bin/python3 bench/ranker-gbdt.py /tmp/pools.jsonl     # Debian's python3-sklearn

Scores the committed linear ranker (src/search/ranker/weights.json) and gradient-boosted trees
(scikit-learn, pointwise, trained on the train pools) by MRR@10 and hit@5 within the ranker's depth.
"""
import json, numpy as np, sys
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
rows=[json.loads(l) for l in open(sys.argv[1])]
W=json.load(open('src/search/ranker/weights.json'))
P=W['passage']; depth=W['depth']
mean=np.array(P['mean']); scale=np.array(P['scale']); w=np.array(P['weights'])
def lin(x): return ((np.array(x)-mean)/scale)@w
def evaluate(score_fn, src, split):
    qs=[r for r in rows if r['src']==src and r['split']==split and not r['un']]
    m=h5=0
    for r in qs:
        if not r['x']: continue
        n=min(depth,len(r['x']))
        s=score_fn(np.array(r['x'][:n]))
        order=sorted(range(n), key=lambda i:(-s[i],i))+list(range(n,len(r['x'])))
        rank=next((k for k,i in enumerate(order) if r['y'][i]==1),None)
        if rank is not None and rank<10: m+=1/(rank+1)
        if rank is not None and rank<5: h5+=1
    return round(m/len(qs),4), round(h5/len(qs),4)
print('depth',depth)
for src in ['own','rtqa']:
    print('linear', src, evaluate(lambda X: np.array([lin(x) for x in X]), src,'dev'))
# training data
X=[];Y=[];G=[]
for gi,r in enumerate(rows):
    if r['split']!='train' or r['un'] or not r['x'] or 1 not in r['y'][:depth]: continue
    for x,y in zip(r['x'][:depth],r['y'][:depth]): X.append(x);Y.append(y);G.append(gi)
X=np.array(X);Y=np.array(Y)
print('train rows',X.shape, Y.mean())
for lr,it,leaf in [(0.05,200,15),(0.05,400,15),(0.1,200,31),(0.03,300,7)]:
    clf=HistGradientBoostingClassifier(learning_rate=lr,max_iter=it,max_leaf_nodes=leaf,l2_regularization=1.0,random_state=0)
    clf.fit(X,Y)
    f=lambda Xq: clf.decision_function(Xq)
    print('gbdt',lr,it,leaf, [evaluate(f,src,sp) for src in ['own','rtqa'] for sp in ['train','dev']])
