#!/usr/bin/python3
"""Writes shape-only ONNX models of real MoE architectures for Moesaic's frontend.

Two families:

* ``fused``: whole decoders at the exact sizes of docs/models.md's
  table, in the form the onnxruntime-genai model builder writes (token
  embedding, com.microsoft SimplifiedLayerNormalization, GroupQueryAttention
  with Q/K/V/O MatMuls, com.microsoft MoE, LM head). Every weight is a graph
  input with a static shape and no data, so a 671B-parameter DeepSeek-V3 is a
  file of a few hundred KB. Routing the fused op cannot express (DeepSeek-V3's
  grouped sigmoid+bias) is written decomposed, with batched expert weights
  [E, H, 2I] / [E, I, H]; shared experts are separate FFNs (Qwen1.5-MoE's with
  its sigmoid gate).
* ``torch``: small Hugging Face style MoE blocks exported by torch.onnx.export
  (Mixtral, OLMoE, Qwen2-MoE with gated shared expert, DeepSeek grouped
  sigmoid routing, Switch top-1, dense batched GPT-OSS style, a two-layer
  decoder with attention, and a trace that drops an expert).

Usage (Debian's interpreter, which sees python3-onnx and python3-torch):
    /usr/bin/python3 scripts/model_zoo.py OUTDIR [--fused] [--torch] [--only NAME ...]
    /usr/bin/python3 scripts/model_zoo.py --list
Each model NAME is written to OUTDIR/NAME.onnx; the expected import is in
EXPECT (printed by --list) so tests can compare.
"""
import argparse
import os
import sys

import onnx
from onnx import TensorProto, helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_example_models import MODELS  # noqa: E402  (the table's shapes)

BF16 = TensorProto.BFLOAT16
VOCAB = {"deepseek-v3": 129280, "deepseek-v2-lite": 102400, "qwen3-30b-a3b": 151936,
         "qwen3-235b-a22b": 151936, "qwen1.5-moe-a2.7b": 151936, "olmoe-1b-7b": 50304,
         "phi-3.5-moe": 32064, "mixtral-8x7b": 32000, "mixtral-8x22b": 32768,
         "tiny-moe": 256}


class Graph:
    """A tiny graph builder: weights become static-shaped graph inputs."""

    def __init__(self):
        self.nodes, self.inputs, self.n = [], [], 0

    def fresh(self, base):
        self.n += 1
        return f"{base}_{self.n}"

    def weight(self, name, dims, dtype=BF16):
        self.inputs.append(helper.make_tensor_value_info(name, dtype, dims))
        return name

    def input(self, name, dtype, dims):
        self.inputs.append(helper.make_tensor_value_info(name, dtype, dims))
        return name

    def op(self, op, ins, outs=1, domain="", **attrs):
        names = [self.fresh(op.lower()) for _ in range(outs)]
        self.nodes.append(helper.make_node(op, ins, names, name=names[0] + "_node",
                                           domain=domain, **attrs))
        return names[0] if outs == 1 else names

    def const(self, values, dtype=TensorProto.INT64):
        name = self.fresh("const")
        t = helper.make_tensor(name + "_t", dtype, [len(values)] if isinstance(values, list) else [],
                               values if isinstance(values, list) else [values])
        self.nodes.append(helper.make_node("Constant", [], [name], value=t))
        return name


def ffn(g, x, prefix, hidden, inner, n_experts=0):
    """SwiGLU FFN: gate/up [H, I], down [I, H] (batched [E, ...] if n_experts)."""
    lead = [n_experts] if n_experts else []
    if n_experts:
        gu = g.op("MatMul", [x, g.weight(prefix + ".gate_up", lead + [hidden, 2 * inner])])
        gate, up = g.op("Split", [gu, g.const([inner, inner])], outs=2, axis=-1)
    else:
        gate = g.op("MatMul", [x, g.weight(prefix + ".gate", [hidden, inner])])
        up = g.op("MatMul", [x, g.weight(prefix + ".up", [hidden, inner])])
    act = g.op("Mul", [gate, g.op("Sigmoid", [gate])])
    return g.op("MatMul", [g.op("Mul", [act, up]), g.weight(prefix + ".down", lead + [inner, hidden])])


def deepseek_router(g, x, prefix, m, groups, pick, scale):
    """DeepSeek-V3 routing: sigmoid + bias, group-limited top-k, renormalise, scale."""
    e, k = m["experts"], m["top_k"]
    logits = g.op("MatMul", [x, g.weight(prefix + ".gate", [m["hidden"], e])])
    scores = g.op("Sigmoid", [logits])
    biased = g.op("Add", [scores, g.weight(prefix + ".e_score_correction_bias", [e], TensorProto.FLOAT)])
    per_group = g.op("Reshape", [biased, g.const([-1, groups, e // groups])])
    top2 = g.op("TopK", [per_group, g.const([2])], outs=2, axis=-1)[0]
    group_scores = g.op("ReduceSum", [top2, g.const([-1])], keepdims=0)
    group_idx = g.op("TopK", [group_scores, g.const([pick])], outs=2, axis=-1)[1]
    zeros = g.op("ConstantOfShape", [g.op("Shape", [group_scores])],
                 value=helper.make_tensor("z", TensorProto.FLOAT, [1], [0.0]))
    ones = g.op("ConstantOfShape", [g.op("Shape", [group_idx])],
                value=helper.make_tensor("o", TensorProto.FLOAT, [1], [1.0]))
    group_mask = g.op("ScatterElements", [zeros, group_idx, ones], axis=1)
    mask = g.op("Reshape", [g.op("Expand", [g.op("Unsqueeze", [group_mask, g.const([-1])]),
                                             g.const([1, groups, e // groups])]),
                            g.const([-1, e])])
    masked = g.op("Mul", [biased, mask])
    idx = g.op("TopK", [masked, g.const([k])], outs=2, axis=-1)[1]
    weights = g.op("GatherElements", [scores, idx], axis=1)
    denom = g.op("ReduceSum", [weights, g.const([-1])], keepdims=1)
    weights = g.op("Div", [weights, denom])
    weights = g.op("Mul", [weights, g.const(scale, TensorProto.FLOAT)])
    zeros_e = g.op("ConstantOfShape", [g.op("Shape", [logits])],
                   value=helper.make_tensor("z2", TensorProto.FLOAT, [1], [0.0]))
    return g.op("ScatterElements", [zeros_e, idx, weights], axis=1)  # [T, E]


def fused_model(name, m):
    """A whole decoder as the onnxruntime-genai builder writes it."""
    g = Graph()
    h, e, k, inner = m["hidden"], m["experts"], m["top_k"], m["ffn"]
    heads, kv, hd = m["heads"], m["kv"], m["hd"]
    vocab = VOCAB.get(name, 32000)
    ids = g.input("input_ids", TensorProto.INT64, ["batch", "seq"])
    seqlens = g.input("seqlens_k", TensorProto.INT32, ["batch"])
    total = g.input("total_sequence_length", TensorProto.INT32, [])
    x = g.op("Gather", [g.weight("embed_tokens", [vocab, h]), ids])
    dense_count, dense_ffn = m.get("dense_first", (0, 0))
    flat_shape = g.const([-1, h])
    for layer in range(m["layers"]):
        p = f"layers.{layer}"
        n1 = g.op("SimplifiedLayerNormalization", [x, g.weight(p + ".ln1", [h])], epsilon=1e-6)
        q = g.op("MatMul", [n1, g.weight(p + ".q_proj", [h, heads * hd])])
        kk = g.op("MatMul", [n1, g.weight(p + ".k_proj", [h, kv * hd])])
        v = g.op("MatMul", [n1, g.weight(p + ".v_proj", [h, kv * hd])])
        past_k = g.input(f"past_key_values.{layer}.key", BF16, ["batch", kv, "past", hd])
        past_v = g.input(f"past_key_values.{layer}.value", BF16, ["batch", kv, "past", hd])
        attn = g.op("GroupQueryAttention", [q, kk, v, past_k, past_v, seqlens, total], outs=3,
                    domain="com.microsoft", num_heads=heads, kv_num_heads=kv)[0]
        o = g.op("MatMul", [attn, g.weight(p + ".o_proj", [heads * hd, h])])
        x = g.op("Add", [x, o])
        n2 = g.op("SimplifiedLayerNormalization", [x, g.weight(p + ".ln2", [h])], epsilon=1e-6)
        if layer < dense_count:
            x = g.op("Add", [x, ffn(g, n2, p + ".mlp", h, dense_ffn)])
            continue
        flat = g.op("Reshape", [n2, flat_shape])
        scoring = m["scoring"].split()
        if scoring[0] == "sigmoid_bias":
            groups = int(scoring[scoring.index("groups") + 1])
            pick = int(scoring[scoring.index("pick") + 1])
            scale = float(scoring[scoring.index("scale") + 1])
            routing = deepseek_router(g, flat, p + ".mlp", m, groups, pick, scale)
            experts = ffn(g, g.op("Unsqueeze", [flat, g.const([0])]), p + ".mlp.experts", h, inner,
                          n_experts=e)  # [E, T, H]
            mask = g.op("Unsqueeze", [g.op("Transpose", [routing], perm=[1, 0]), g.const([-1])])
            y = g.op("ReduceSum", [g.op("Mul", [experts, mask]), g.const([0])], keepdims=0)
        else:
            logits = g.op("MatMul", [flat, g.weight(p + ".mlp.gate", [h, e])])
            attrs = dict(k=k, activation_type="swiglu", swiglu_fusion=1,
                         normalize_routing_weights=int("renormalize" in scoring))
            if scoring[0] == "sparsemixer":
                attrs["use_sparse_mixer"] = 1
            y = g.op("MoE", [flat, logits, g.weight(p + ".mlp.experts.fc1", [e, 2 * inner, h]), "",
                             g.weight(p + ".mlp.experts.fc2", [e, h, inner])],
                     domain="com.microsoft", **attrs)
        if "shared" in m:
            count, sffn, gated = m["shared"]
            for s in range(count):
                out = ffn(g, flat, f"{p}.mlp.shared_experts.{s}", h, sffn)
                if gated:
                    gate = g.op("Sigmoid", [g.op("MatMul", [flat, g.weight(p + ".mlp.shared_expert_gate", [h, 1])])])
                    out = g.op("Mul", [gate, out])
                y = g.op("Add", [y, out])
        x = g.op("Add", [x, g.op("Reshape", [y, g.op("Shape", [x])])])
    norm = g.op("SimplifiedLayerNormalization", [x, g.weight("norm", [h])], epsilon=1e-6)
    logits = g.op("MatMul", [norm, g.weight("lm_head", [h, vocab])])
    graph = helper.make_graph(g.nodes, name.replace("-", "_"), g.inputs,
                              [helper.make_tensor_value_info(logits, BF16, ["batch", "seq", vocab])])
    model = helper.make_model(graph, producer_name="moesaic-model-zoo",
                              opset_imports=[helper.make_opsetid("", 17),
                                             helper.make_opsetid("com.microsoft", 1)])
    return model


# ---------------------------------------------------------------------------
# torch.onnx.export of Hugging Face style blocks (small).


def torch_models():
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    class Expert(nn.Module):
        def __init__(self, h, i, act="silu"):
            super().__init__()
            self.act = act
            self.w1 = nn.Linear(h, i, bias=False)
            self.w2 = nn.Linear(i, h, bias=False)
            if act == "silu":
                self.w3 = nn.Linear(h, i, bias=False)

        def forward(self, x):
            if self.act == "silu":
                return self.w2(F.silu(self.w1(x)) * self.w3(x))
            return self.w2(F.relu(self.w1(x)))

    class SparseMoe(nn.Module):
        """Mixtral / OLMoE / Qwen2-MoE / DeepSeek style sparse block."""

        def __init__(self, h=32, i=48, e=8, k=2, renorm=True, shared=0, shared_gate=False,
                     scoring="softmax", groups=0, pick=0, scale=1.0, skip_unhit=False):
            super().__init__()
            self.h, self.e, self.k, self.renorm = h, e, k, renorm
            self.scoring, self.groups, self.pick, self.scale = scoring, groups, pick, scale
            self.skip_unhit = skip_unhit
            self.gate = nn.Linear(h, e, bias=False)
            if scoring == "sigmoid_bias":
                self.bias = nn.Parameter(torch.zeros(e))
            self.experts = nn.ModuleList([Expert(h, i) for _ in range(e)])
            self.shared = Expert(h, shared) if shared else None
            self.shared_gate = nn.Linear(h, 1, bias=False) if shared_gate else None

        def route(self, x):
            logits = self.gate(x)
            if self.scoring == "softmax":
                probs = F.softmax(logits, dim=1, dtype=torch.float)
                w, idx = torch.topk(probs, self.k, dim=-1)
                if self.renorm:
                    w = w / w.sum(dim=-1, keepdim=True)
                return w, idx
            scores = logits.sigmoid()
            biased = scores + self.bias
            t = x.shape[0]
            gs = biased.view(t, self.groups, -1).topk(2, dim=-1)[0].sum(dim=-1)
            gi = torch.topk(gs, k=self.pick, dim=-1, sorted=False)[1]
            gm = torch.zeros_like(gs).scatter_(1, gi, 1)
            sm = gm.unsqueeze(-1).expand(t, self.groups, self.e // self.groups).reshape(t, -1)
            masked = biased.masked_fill(~sm.bool(), 0.0)
            idx = torch.topk(masked, k=self.k, dim=-1, sorted=False)[1]
            w = scores.gather(1, idx)
            w = w / (w.sum(dim=-1, keepdim=True) + 1e-20)
            return w * self.scale, idx

        def forward(self, hs):
            b, s, h = hs.shape
            x = hs.view(-1, h)
            w, idx = self.route(x)
            out = torch.zeros_like(x)
            mask = F.one_hot(idx, num_classes=self.e).permute(2, 1, 0)
            experts = range(self.e)
            if self.skip_unhit:  # As newer transformers: only experts that got tokens.
                experts = [int(i) for i in torch.greater(mask.sum(dim=(-1, -2)), 0).nonzero()]
            for ei in experts:
                r, top_x = torch.where(mask[ei])
                cur = self.experts[ei](x[top_x]) * w[top_x, r, None]
                out.index_add_(0, top_x, cur.to(x.dtype))
            if self.shared is not None:
                sh = self.shared(x)
                if self.shared_gate is not None:
                    sh = torch.sigmoid(self.shared_gate(x)) * sh
                out = out + sh
            return out.view(b, s, h)

    class SwitchMoe(nn.Module):
        """Switch Transformers: top-1 by argmax, ReLU experts."""

        def __init__(self, h=32, i=64, e=4):
            super().__init__()
            self.e = e
            self.router = nn.Linear(h, e, bias=False)
            self.experts = nn.ModuleList([Expert(h, i, act="relu") for _ in range(e)])

        def forward(self, hs):
            probs = F.softmax(self.router(hs), dim=-1)
            idx = torch.argmax(probs, dim=-1)
            mask = F.one_hot(idx, num_classes=self.e)
            out = hs.clone()
            for ei in range(self.e):
                sel = mask[:, :, ei].bool()
                out[sel] = self.experts[ei](hs[sel])
            return out * probs.max(dim=-1, keepdim=True)[0]

    class DenseMoe(nn.Module):
        """GPT-OSS / Llama-4 style: every expert computed by batched matmul."""

        def __init__(self, h=32, i=40, e=4, k=2):
            super().__init__()
            self.h, self.e, self.k = h, e, k
            self.router = nn.Linear(h, e)
            self.gate_up = nn.Parameter(torch.randn(e, h, 2 * i) * 0.02)
            self.down = nn.Parameter(torch.randn(e, i, h) * 0.02)

        def forward(self, hs):
            b, s, h = hs.shape
            x = hs.reshape(-1, h)
            logits = self.router(x)
            top, idx = torch.topk(logits, self.k, dim=-1)
            w = torch.zeros_like(logits).scatter_(1, idx, F.softmax(top, dim=-1))
            xe = x.repeat(self.e, 1).view(self.e, -1, h)
            gu = torch.bmm(xe, self.gate_up)
            gate, up = gu[..., ::2], gu[..., 1::2]
            y = torch.bmm(up * (gate * torch.sigmoid(gate)), self.down)
            y = y * w.transpose(0, 1).unsqueeze(-1)
            return y.sum(dim=0).view(b, s, h)

    class Attention(nn.Module):
        def __init__(self, h=32, heads=4, kv=2):
            super().__init__()
            self.heads, self.kv, self.hd = heads, kv, h // heads
            self.q = nn.Linear(h, heads * self.hd, bias=False)
            self.k = nn.Linear(h, kv * self.hd, bias=False)
            self.v = nn.Linear(h, kv * self.hd, bias=False)
            self.o = nn.Linear(heads * self.hd, h, bias=False)

        def forward(self, x):
            b, s, _ = x.shape
            q = self.q(x).view(b, s, self.heads, self.hd).transpose(1, 2)
            k = self.k(x).view(b, s, self.kv, self.hd).transpose(1, 2)
            v = self.v(x).view(b, s, self.kv, self.hd).transpose(1, 2)
            rep = self.heads // self.kv
            k = k.repeat_interleave(rep, dim=1)
            v = v.repeat_interleave(rep, dim=1)
            p = torch.softmax(q @ k.transpose(2, 3) / self.hd ** 0.5, dim=-1)
            return self.o((p @ v).transpose(1, 2).reshape(b, s, -1))

    class MLA(nn.Module):
        """DeepSeek multi-head latent attention (q_lora 16, kv_lora 8)."""

        def __init__(self, h=32, heads=4, q_lora=16, kv_lora=8, nope=8, rope=4, v_dim=8):
            super().__init__()
            self.heads, self.nope, self.rope, self.v_dim, self.kv_lora = heads, nope, rope, v_dim, kv_lora
            self.q_a = nn.Linear(h, q_lora, bias=False)
            self.q_b = nn.Linear(q_lora, heads * (nope + rope), bias=False)
            self.kv_a = nn.Linear(h, kv_lora + rope, bias=False)
            self.kv_b = nn.Linear(kv_lora, heads * (nope + v_dim), bias=False)
            self.o = nn.Linear(heads * v_dim, h, bias=False)

        def forward(self, x):
            b, s, _ = x.shape
            q = self.q_b(self.q_a(x)).view(b, s, self.heads, -1).transpose(1, 2)
            q_nope, q_pe = torch.split(q, [self.nope, self.rope], dim=-1)
            ckv, k_pe = torch.split(self.kv_a(x), [self.kv_lora, self.rope], dim=-1)
            k_pe = k_pe.view(b, s, 1, self.rope).transpose(1, 2)
            kv = self.kv_b(ckv).view(b, s, self.heads, -1).transpose(1, 2)
            k_nope, v = torch.split(kv, [self.nope, self.v_dim], dim=-1)
            q = torch.cat([q_nope, q_pe], dim=-1)
            k = torch.cat([k_nope, k_pe.expand(-1, self.heads, -1, -1)], dim=-1)
            p = torch.softmax(q @ k.transpose(2, 3) / (self.nope + self.rope) ** 0.5, dim=-1)
            return self.o((p @ v).transpose(1, 2).reshape(b, s, -1))

    class RMSNorm(nn.Module):
        def __init__(self, h):
            super().__init__()
            self.w = nn.Parameter(torch.ones(h))

        def forward(self, x):
            return self.w * x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-6)

    class Decoder(nn.Module):
        def __init__(self, layers=2, h=32, mla=False):
            super().__init__()
            self.embed = nn.Embedding(64, h)
            self.blocks = nn.ModuleList()
            for _ in range(layers):
                attn = MLA(h) if mla else Attention(h)
                moe = (SparseMoe(h=h, i=24, e=16, k=4, scoring="sigmoid_bias", groups=4, pick=2,
                                 scale=2.5, shared=48) if mla else SparseMoe(h=h, i=48, e=4, k=2))
                self.blocks.append(nn.ModuleList([RMSNorm(h), attn, RMSNorm(h), moe]))
            self.norm = RMSNorm(h)
            self.head = nn.Linear(h, 64, bias=False)

        def forward(self, ids):
            x = self.embed(ids)
            for n1, attn, n2, moe in self.blocks:
                x = x + attn(n1(x))
                x = x + moe(n2(x))
            return self.head(self.norm(x))

    torch.manual_seed(0)
    dropped = SparseMoe(h=16, i=24, e=4, k=1, skip_unhit=True)
    with torch.no_grad():  # Expert 3 never wins for positive inputs.
        dropped.gate.weight.copy_(torch.tensor([[1.0] * 16, [0.5] * 16, [0.25] * 16, [-4.0] * 16]))
    return {
        "torch-mixtral": (SparseMoe(h=32, i=48, e=8, k=2), "hidden"),
        "torch-olmoe": (SparseMoe(h=32, i=24, e=8, k=4, renorm=False), "hidden"),
        "torch-qwen2-moe": (SparseMoe(h=32, i=24, e=8, k=2, renorm=False, shared=64,
                                      shared_gate=True), "hidden"),
        "torch-deepseek": (SparseMoe(h=32, i=24, e=16, k=4, scoring="sigmoid_bias", groups=4,
                                     pick=2, scale=2.5, shared=48), "hidden"),
        "torch-switch": (SwitchMoe(h=32, i=64, e=4), "hidden"),
        "torch-dense-moe": (DenseMoe(h=32, i=40, e=4, k=2), "hidden"),
        "torch-decoder": (Decoder(layers=2, h=32), "ids"),
        "torch-deepseek-mla": (Decoder(layers=1, h=32, mla=True), "ids"),
        "torch-dropped-expert": (dropped, "positive"),
    }


def export_torch(name, module, kind, path):
    import torch
    if kind == "ids":
        args, names, axes = (torch.randint(0, 64, (1, 8)),), ["input_ids"], {"input_ids": {0: "batch", 1: "seq"}}
    else:
        h = next(module.parameters()).shape[-1] if kind != "hidden" else None
        width = {"torch-dropped-expert": 16}.get(name, 32)
        x = torch.rand(1, 8, width) + (0.1 if kind == "positive" else -0.5)
        args, names, axes = (x,), ["hidden_states"], {"hidden_states": {0: "batch", 1: "seq"}}
    module.eval()
    with torch.no_grad():
        torch.onnx.export(module, args, path, opset_version=17, input_names=names,
                          output_names=["output"], dynamic_axes=axes)


FUSED = [n for n in MODELS]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("outdir", nargs="?")
    ap.add_argument("--fused", action="store_true", help="full-size shape-only decoders")
    ap.add_argument("--torch", action="store_true", help="small torch.onnx.export blocks")
    ap.add_argument("--only", nargs="*", default=None, help="model names to write")
    ap.add_argument("--list", action="store_true")
    a = ap.parse_args()
    if a.list:
        print("\n".join(FUSED + ["torch-mixtral", "torch-olmoe", "torch-qwen2-moe", "torch-deepseek",
                                 "torch-switch", "torch-dense-moe", "torch-decoder",
                                 "torch-deepseek-mla", "torch-dropped-expert"]))
        return
    if not a.outdir:
        ap.error("OUTDIR is required")
    if not a.fused and not a.torch:
        a.fused = a.torch = True
    os.makedirs(a.outdir, exist_ok=True)
    want = set(a.only) if a.only else None
    if a.fused:
        for name in FUSED:
            if want is None or name in want:
                onnx.save(fused_model(name, MODELS[name]), os.path.join(a.outdir, name + ".onnx"))
    if a.torch and (want is None or any(n.startswith("torch-") for n in want)):
        import warnings
        warnings.filterwarnings("ignore")
        for name, (module, kind) in torch_models().items():
            if want is None or name in want:
                export_torch(name, module, kind, os.path.join(a.outdir, name + ".onnx"))


if __name__ == "__main__":
    main()
