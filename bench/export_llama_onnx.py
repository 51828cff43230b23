"""
Exports a Llama checkpoint (one F32 safetensors file in HF names, plus its config.json) to ONNX as the KV-cached
decoder that transformers.js runs for text generation (bench/decode-peer.ts). The forward is written here by hand,
with no transformers package: embedding, RMSNorm, RoPE (HF's rotate_half, theta from the config), grouped-query
attention with a causal and padding mask, SiLU-gated MLP, final norm, and an lm_head tied to the embedding unless
the checkpoint has its own.

I/O, as transformers.js reads a decoder session (models/modeling_utils.js decoder_forward, addPastKeyValues):
  inputs   input_ids int64 [batch_size, sequence_length], attention_mask int64 [batch_size, total_sequence_length],
           position_ids int64 [batch_size, sequence_length],
           past_key_values.{i}.key / .value float32 [batch_size, kv_heads, past_sequence_length, head_dim]
  outputs  logits float32 [batch_size, sequence_length, vocab],
           present.{i}.key / .value float32 [batch_size, kv_heads, total_sequence_length, head_dim]
kv_heads and head_dim are fixed numbers in the graph: transformers.js builds the empty first-step cache from the
input metadata, with every symbolic dimension but batch_size set to 0.

Usage: /usr/bin/python3 bench/export_llama_onnx.py --weights W.safetensors --config config.json --out model.onnx
Needs torch (Debian's python3-torch 1.13 works); no onnx package.
"""
import argparse
import json
import struct

import torch
import torch.nn.functional as F
from torch import nn


def read_safetensors(path):
    """name -> float32 tensor; F32 only (the bench writes F32)."""
    with open(path, 'rb') as f:
        blob = bytearray(f.read())
    (n,) = struct.unpack('<Q', blob[:8])
    header = json.loads(blob[8:8 + n].decode('utf8'))
    base = 8 + n
    out = {}
    for name, e in header.items():
        if name == '__metadata__':
            continue
        if e['dtype'] != 'F32':
            raise SystemExit(f"{path}: tensor '{name}' is {e['dtype']}; this exporter reads F32 only")
        a, b = e['data_offsets']
        out[name] = torch.frombuffer(blob, dtype=torch.float32, offset=base + a, count=(b - a) // 4).reshape(e['shape']).clone()
    return out


class RMSNorm(nn.Module):
    def __init__(self, weight, eps):
        super().__init__()
        self.weight = nn.Parameter(weight, requires_grad=False)
        self.eps = eps

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


class Layer(nn.Module):
    def __init__(self, w, i, cfg):
        super().__init__()
        p = f'model.layers.{i}.'
        lin = lambda name: nn.Parameter(w[p + name + '.weight'], requires_grad=False)  # [out, in], as nn.Linear
        self.q, self.k, self.v, self.o = (lin(f'self_attn.{n}_proj') for n in 'qkvo')
        self.gate, self.up, self.down = (lin(f'mlp.{n}_proj') for n in ('gate', 'up', 'down'))
        eps = cfg.get('rms_norm_eps', 1e-6)
        self.attn_norm = RMSNorm(w[p + 'input_layernorm.weight'], eps)
        self.mlp_norm = RMSNorm(w[p + 'post_attention_layernorm.weight'], eps)
        self.H = cfg['num_attention_heads']
        self.KV = cfg.get('num_key_value_heads', self.H)
        self.D = cfg.get('head_dim', cfg['hidden_size'] // self.H)

    def forward(self, h, cos, sin, bias, past_k, past_v):
        B, T = h.shape[0], h.shape[1]
        H, KV, D = self.H, self.KV, self.D
        x = self.attn_norm(h)
        q = F.linear(x, self.q).view(B, T, H, D).transpose(1, 2)
        k = F.linear(x, self.k).view(B, T, KV, D).transpose(1, 2)
        v = F.linear(x, self.v).view(B, T, KV, D).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        k = torch.cat((past_k, k), dim=2)
        v = torch.cat((past_v, v), dim=2)
        # GQA without copying the cache: query heads g*R .. g*R+R-1 read kv head g (HF repeat_kv's order).
        R = H // KV
        qg = q.reshape(B, KV, R, T, D)
        scores = torch.matmul(qg, k.unsqueeze(2).transpose(-1, -2)) / (D ** 0.5) + bias  # [B, KV, R, T, S]
        att = torch.matmul(torch.softmax(scores, dim=-1), v.unsqueeze(2))  # [B, KV, R, T, D]
        att = att.reshape(B, H, T, D).transpose(1, 2).reshape(B, T, H * D)
        h = h + F.linear(att, self.o)
        x = self.mlp_norm(h)
        h = h + F.linear(F.silu(F.linear(x, self.gate)) * F.linear(x, self.up), self.down)
        return h, k, v


class Llama(nn.Module):
    def __init__(self, w, cfg):
        super().__init__()
        self.embed = nn.Parameter(w['model.embed_tokens.weight'], requires_grad=False)
        self.head = nn.Parameter(w['lm_head.weight'], requires_grad=False) if 'lm_head.weight' in w else self.embed
        self.layers = nn.ModuleList(Layer(w, i, cfg) for i in range(cfg['num_hidden_layers']))
        self.norm = RMSNorm(w['model.norm.weight'], cfg.get('rms_norm_eps', 1e-6))
        D = self.layers[0].D
        theta = cfg.get('rope_theta', 10000.0)
        self.register_buffer('inv_freq', 1.0 / (theta ** (torch.arange(0, D, 2, dtype=torch.int64).float() / D)), persistent=False)

    def forward(self, input_ids, attention_mask, position_ids, *past):
        T = input_ids.shape[1]
        S = attention_mask.shape[1]
        h = F.embedding(input_ids, self.embed)
        freqs = position_ids.unsqueeze(-1).float() * self.inv_freq  # [B, T, D/2]
        emb = torch.cat((freqs, freqs), dim=-1).unsqueeze(1)  # [B, 1, T, D]
        cos, sin = emb.cos(), emb.sin()
        # Query slot t (absolute past + t) sees key slot s <= past + t whose attention_mask is 1.
        qslot = torch.arange(T) + (S - T)
        kslot = torch.arange(S)
        allowed = (kslot.unsqueeze(0) <= qslot.unsqueeze(1)).unsqueeze(0) & attention_mask.bool().unsqueeze(1)  # [B, T, S]
        bias = torch.zeros(allowed.shape, dtype=torch.float32).masked_fill(~allowed, torch.finfo(torch.float32).min)
        bias = bias.unsqueeze(1).unsqueeze(1)  # [B, 1, 1, T, S]
        present = []
        for i, layer in enumerate(self.layers):
            h, k, v = layer(h, cos, sin, bias, past[2 * i], past[2 * i + 1])
            present += [k, v]
        logits = F.linear(self.norm(h), self.head)
        return (logits, *present)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--weights', required=True)
    ap.add_argument('--config', required=True)
    ap.add_argument('--out', required=True)
    ap.add_argument('--opset', type=int, default=14)
    a = ap.parse_args()
    cfg = json.load(open(a.config))
    if cfg.get('model_type') != 'llama':
        raise SystemExit(f"{a.config}: model_type is {cfg.get('model_type')!r}; this exporter writes llama only")
    torch.set_grad_enabled(False)
    model = Llama(read_safetensors(a.weights), cfg).eval()
    L = cfg['num_hidden_layers']
    KV, D = model.layers[0].KV, model.layers[0].D
    B, T, P = 1, 2, 3  # traced with a non-empty cache; every length is a dynamic axis
    past = [torch.zeros(B, KV, P, D) for _ in range(2 * L)]
    args = (torch.tensor([[1, 2]]), torch.ones(B, P + T, dtype=torch.int64), torch.tensor([[P, P + 1]]), *past)
    kv = [f'{i}.{n}' for i in range(L) for n in ('key', 'value')]
    inputs = ['input_ids', 'attention_mask', 'position_ids'] + [f'past_key_values.{n}' for n in kv]
    outputs = ['logits'] + [f'present.{n}' for n in kv]
    axes = {
        'input_ids': {0: 'batch_size', 1: 'sequence_length'},
        'attention_mask': {0: 'batch_size', 1: 'total_sequence_length'},
        'position_ids': {0: 'batch_size', 1: 'sequence_length'},
        'logits': {0: 'batch_size', 1: 'sequence_length'},
        **{f'past_key_values.{n}': {0: 'batch_size', 2: 'past_sequence_length'} for n in kv},
        **{f'present.{n}': {0: 'batch_size', 2: 'total_sequence_length'} for n in kv},
    }
    torch.onnx.export(model, args, a.out, input_names=inputs, output_names=outputs, dynamic_axes=axes, opset_version=a.opset, do_constant_folding=True)
    print(json.dumps({'exported': a.out, 'layers': L, 'kv_heads': KV, 'head_dim': D, 'opset': a.opset, 'torch': torch.__version__}))


if __name__ == '__main__':
    main()
