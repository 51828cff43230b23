"""
Reference for tests/train/overfit.test.ts ("overfit one batch", as llm.c's test_gpt2): full fine-tuning of the
llama-gqa fixture model with torch.optim.AdamW, written by hand in plain torch (no transformers, no safetensors
package: neither is installed here). It first checks that its own forward reproduces the fixture's HF logits and
loss, so the curve below is trusted, then records 10 training losses for two recipes:
  single: one micro-batch (both rows), constant lr 1e-3
  accum:  two 1-row micro-batches per step (each loss / 2, as HF Trainer), linear schedule with 3 warmup steps
Both: AdamW betas (0.9, 0.999), eps 1e-8, weight decay 0.01 except norm weights (HF Trainer's groups for llama),
clip_grad_norm_(1.0) before every step.
Run: /usr/bin/python3 tests/reference/overfit_llama_gqa.py  (writes overfit_llama_gqa.json beside this file)
"""
import json, math, os, struct, sys
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = os.environ.get("WEBIFT_SHARED", os.path.join(HERE, "..", "..", "..", "shared"))
CASE = os.path.join(SHARED, "fixtures", "hf-reference", "llama-gqa")


def read_safetensors(path):
    """8-byte little-endian header length, JSON header, raw little-endian data. F32 only (all fixture tensors are)."""
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n])
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        assert e["dtype"] == "F32", e
        b, end = e["data_offsets"]
        data = bytearray(blob[8 + n + b:8 + n + end])
        out[name] = torch.frombuffer(data, dtype=torch.float32).reshape(e["shape"]).clone()
    return out


cfg = json.load(open(os.path.join(CASE, "model", "config.json")))
C, L, H, Hkv, D = cfg["hidden_size"], cfg["num_hidden_layers"], cfg["num_attention_heads"], cfg["num_key_value_heads"], cfg["head_dim"]
EPS, THETA = cfg["rms_norm_eps"], cfg["rope_theta"]
MIN = torch.finfo(torch.float32).min


def rms_norm(x, w):
    return w * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + EPS))


def rotate_half(x):
    return torch.cat((-x[..., D // 2:], x[..., :D // 2]), dim=-1)


def forward(p, ids, mask):
    """LlamaForCausalLM (transformers 4.45.1, eager attention), positions arange(T) as without position_ids."""
    B, T = ids.shape
    x = p["model.embed_tokens.weight"][ids]  # (B, T, C)
    inv_freq = 1.0 / (THETA ** (torch.arange(0, D, 2, dtype=torch.int64).float() / D))
    pos = torch.arange(T).float()[None, :].expand(B, T)
    freqs = (inv_freq[None, :, None].expand(B, -1, 1) @ pos[:, None, :]).transpose(1, 2)
    emb = torch.cat((freqs, freqs), dim=-1)
    cos, sin = emb.cos()[:, None], emb.sin()[:, None]  # (B, 1, T, D)
    causal = torch.triu(torch.full((T, T), MIN), diagonal=1)[None, None].expand(B, 1, T, T).clone()
    pad = (causal + mask[:, None, None, :].float()) == 0
    bias = causal.masked_fill(pad, MIN)  # (B, 1, T, T)
    for i in range(L):
        pre = f"model.layers.{i}."
        h = rms_norm(x, p[pre + "input_layernorm.weight"])
        q = (h @ p[pre + "self_attn.q_proj.weight"].T).view(B, T, H, D).transpose(1, 2)
        k = (h @ p[pre + "self_attn.k_proj.weight"].T).view(B, T, Hkv, D).transpose(1, 2)
        v = (h @ p[pre + "self_attn.v_proj.weight"].T).view(B, T, Hkv, D).transpose(1, 2)
        q, k = q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin
        k = k.repeat_interleave(H // Hkv, dim=1)  # repeat_kv: each kv head serves H/Hkv consecutive q heads
        v = v.repeat_interleave(H // Hkv, dim=1)
        s = q @ k.transpose(2, 3) / math.sqrt(D) + bias
        a = torch.softmax(s, dim=-1, dtype=torch.float32) @ v  # (B, H, T, D)
        x = x + a.transpose(1, 2).reshape(B, T, H * D) @ p[pre + "self_attn.o_proj.weight"].T
        h = rms_norm(x, p[pre + "post_attention_layernorm.weight"])
        g = torch.nn.functional.silu(h @ p[pre + "mlp.gate_proj.weight"].T) * (h @ p[pre + "mlp.up_proj.weight"].T)
        x = x + g @ p[pre + "mlp.down_proj.weight"].T
    x = rms_norm(x, p["model.norm.weight"])
    return x @ p["lm_head.weight"].T  # (B, T, V)


def lm_loss(logits, labels):
    V = logits.shape[-1]
    return torch.nn.functional.cross_entropy(logits[:, :-1].reshape(-1, V), labels[:, 1:].reshape(-1), ignore_index=-100)


inp = json.load(open(os.path.join(CASE, "inputs.json")))
ids = torch.tensor(inp["input_ids"])
mask = torch.tensor(inp["attention_mask"])
labels = torch.tensor(inp["labels"])

# 1. Trust: our forward must reproduce the fixture (HF transformers 4.45.1) at unmasked positions.
weights = read_safetensors(os.path.join(CASE, "model", "model.safetensors"))
ref = read_safetensors(os.path.join(CASE, "base_outputs.safetensors"))
with torch.no_grad():
    logits = forward(weights, ids, mask)
    keep = mask.bool()
    logit_diff = (logits - ref["logits"])[keep].abs().max().item()
    loss0 = lm_loss(logits, labels).item()
assert logit_diff < 1e-5, f"forward differs from the HF fixture by {logit_diff}"
assert abs(loss0 - ref["loss"].item()) < 1e-5 * abs(ref["loss"].item()), (loss0, ref["loss"].item())
print(f"forward matches the HF fixture: max |dlogit| {logit_diff:.3g}, loss {loss0:.7f} vs {ref['loss'].item():.7f}")


def linear_lambda(step, warmup, total):
    """transformers get_linear_schedule_with_warmup's lr_lambda (LambdaLR: the k-th optimizer step uses lambda(k))."""
    if step < warmup:
        return float(step) / float(max(1, warmup))
    return max(0.0, float(total - step) / float(max(1, total - warmup)))


def run(micro_batches, lr_lambda, steps=10):
    p = {k: v.clone().requires_grad_(True) for k, v in weights.items()}
    decay = [v for k, v in p.items() if "norm" not in k and not k.endswith("bias")]
    no_decay = [v for k, v in p.items() if "norm" in k or k.endswith("bias")]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=1e-3, betas=(0.9, 0.999), eps=1e-8, foreach=False)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lr_lambda)
    losses, norms, lrs = [], [], []
    for _ in range(steps):
        total = 0.0
        for rows in micro_batches:
            loss = lm_loss(forward(p, ids[rows], mask[rows]), labels[rows]) / len(micro_batches)
            loss.backward()
            total += loss.item()
        lrs.append(opt.param_groups[0]["lr"])
        norms.append(torch.nn.utils.clip_grad_norm_(list(p.values()), 1.0).item())
        opt.step()
        sched.step()
        opt.zero_grad(set_to_none=True)
        losses.append(total)
    return {"losses": losses, "grad_norms": norms, "lrs": lrs}


torch.manual_seed(0)
out = {
    "about": "tests/reference/overfit_llama_gqa.py: plain-torch llama forward checked against the HF fixture, torch.optim.AdamW",
    "torch": torch.__version__,
    "forward_check": {"max_abs_logit_diff": logit_diff, "loss": loss0, "fixture_loss": ref["loss"].item()},
    "optimizer": {"lr": 1e-3, "betas": [0.9, 0.999], "eps": 1e-8, "weight_decay": 0.01, "no_decay": "norm weights", "max_grad_norm": 1.0},
    "single": {"micro_batches": [[0, 1]], "scheduler": "constant, no warmup", **run([[0, 1]], lambda s: 1.0)},
    "accum": {"micro_batches": [[0], [1]], "scheduler": "linear, warmup 3 of 10", **run([[0], [1]], lambda s: linear_lambda(s, 3, 10))},
}
with open(os.path.join(HERE, "overfit_llama_gqa.json"), "w") as f:
    json.dump(out, f, indent=1)
    f.write("\n")
for k in ("single", "accum"):
    print(k, ["%.6f" % x for x in out[k]["losses"]])
