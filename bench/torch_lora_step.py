#!/usr/bin/env python3
"""Hand-written PyTorch CPU baseline for bench/train.ts: one LoRA training step (r=8 on q,k,v,o,gate,up,down) of a
random SmolLM2-135M-shaped Llama, batch B x seq T, AdamW. Plain torch (apt python3-torch 1.13), no transformers.
Prints one JSON line: {"bench": "train-lora", "backend": "torch-cpu", "tokens_per_s": ...}.
Needs OpenBLAS (apt-get install libopenblas0-pthread): without it Debian's torch uses the reference BLAS, ~30x slower.
Run it as its users should on 2 cores: OPENBLAS_NUM_THREADS=2 OMP_WAIT_POLICY=PASSIVE.
LoRA dropout on each module's input as PEFT applies it (nn.Dropout), at webift train's default 0.05 unless told.
Usage: python3 bench/torch_lora_step.py [--batch 4] [--seq 256] [--steps 3] [--layers 30] [--threads N] [--lora-dropout 0.05]"""
import argparse, json, math, time
import torch

p = argparse.ArgumentParser()
p.add_argument('--batch', type=int, default=4)
p.add_argument('--seq', type=int, default=256)
p.add_argument('--steps', type=int, default=3)
p.add_argument('--layers', type=int, default=30)
p.add_argument('--threads', type=int, default=0)
p.add_argument('--lora-dropout', type=float, default=0.05)
a = p.parse_args()
if a.threads:
    torch.set_num_threads(a.threads)
torch.manual_seed(0)

V, C, H, HKV, I, R = 49152, 576, 9, 3, 1536, 8
D = C // H
ALPHA = 16.0


class LoraLinear(torch.nn.Module):
    """y = x W^T + (dropout(x) A^T B^T) * alpha/r, W frozen (PEFT's lora.Linear)."""
    def __init__(self, i, o):
        super().__init__()
        self.w = torch.nn.Parameter(torch.randn(o, i) * 0.02, requires_grad=False)
        self.a = torch.nn.Parameter(torch.empty(R, i).uniform_(-1 / math.sqrt(i), 1 / math.sqrt(i)))
        self.b = torch.nn.Parameter(torch.zeros(o, R))
        self.drop = torch.nn.Dropout(a.lora_dropout) if a.lora_dropout > 0 else torch.nn.Identity()

    def forward(self, x):
        return x @ self.w.t() + (self.drop(x) @ self.a.t() @ self.b.t()) * (ALPHA / R)


def rms(x, w, eps=1e-5):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * w


def rope(x, cos, sin):
    x1, x2 = x[..., : D // 2], x[..., D // 2:]
    return x * cos + torch.cat([-x2, x1], -1) * sin


class Block(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.q, self.k, self.v, self.o = LoraLinear(C, H * D), LoraLinear(C, HKV * D), LoraLinear(C, HKV * D), LoraLinear(H * D, C)
        self.g, self.u, self.d = LoraLinear(C, I), LoraLinear(C, I), LoraLinear(I, C)
        self.n1 = torch.nn.Parameter(torch.ones(C), requires_grad=False)
        self.n2 = torch.nn.Parameter(torch.ones(C), requires_grad=False)

    def forward(self, x, cos, sin, mask):
        B, T, _ = x.shape
        h = rms(x, self.n1)
        q = rope(self.q(h).view(B, T, H, D).transpose(1, 2), cos, sin)
        k = rope(self.k(h).view(B, T, HKV, D).transpose(1, 2), cos, sin).repeat_interleave(H // HKV, 1)
        v = self.v(h).view(B, T, HKV, D).transpose(1, 2).repeat_interleave(H // HKV, 1)
        att = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(D) + mask, -1) @ v
        x = x + self.o(att.transpose(1, 2).reshape(B, T, C))
        h = rms(x, self.n2)
        return x + self.d(torch.nn.functional.silu(self.g(h)) * self.u(h))


emb = torch.randn(V, C) * 0.02
blocks = torch.nn.ModuleList([Block() for _ in range(a.layers)])
norm = torch.ones(C)
inv = 1.0 / (100000 ** (torch.arange(0, D, 2).float() / D))
pos = torch.arange(a.seq).float()[:, None] * inv[None]
cos, sin = torch.cat([pos.cos()] * 2, -1), torch.cat([pos.sin()] * 2, -1)
mask = torch.full((a.seq, a.seq), -1e9).triu(1)
params = [p for p in blocks.parameters() if p.requires_grad]
opt = torch.optim.AdamW(params, lr=1e-4)
ids = torch.randint(0, V, (a.batch, a.seq))


def step():
    x = emb[ids]
    for b in blocks:
        x = b(x, cos, sin, mask)
    logits = rms(x, norm) @ emb.t()
    loss = torch.nn.functional.cross_entropy(logits[:, :-1].reshape(-1, V), ids[:, 1:].reshape(-1))
    opt.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(params, 1.0)
    opt.step()
    return loss.item()


step()  # warm-up
t0 = time.perf_counter()
for _ in range(a.steps):
    step()
dt = (time.perf_counter() - t0) / a.steps
print(json.dumps({"bench": "train-lora", "backend": "torch-cpu", "threads": torch.get_num_threads(), "layers": a.layers,
                  "batch": a.batch, "seq": a.seq, "lora_dropout": a.lora_dropout, "seconds_per_step": round(dt, 3), "tokens_per_s": round(a.batch * a.seq / dt, 2)}))
