"""
Reference for tests/train/optimizer.test.ts: torch.optim.AdamW (torch 1.13, single-tensor path) on a 2-element
parameter with a fixed gradient sequence, and torch.nn.utils.clip_grad_norm_ on two small gradients.
Run: /usr/bin/python3 tests/reference/adamw_reference.py  (writes adamw_reference.json beside this file)
"""
import json, os
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
P0 = [0.5, -0.3]
GRADS = [[0.1, -0.2], [0.3, 0.05], [-0.4, 0.2]]
HP = {"lr": 0.1, "betas": [0.9, 0.999], "eps": 1e-8, "weight_decay": 0.1}

p = torch.tensor(P0, dtype=torch.float32, requires_grad=True)
opt = torch.optim.AdamW([p], lr=HP["lr"], betas=tuple(HP["betas"]), eps=HP["eps"], weight_decay=HP["weight_decay"], foreach=False)
params, ms, vs = [], [], []
for g in GRADS:
    p.grad = torch.tensor(g, dtype=torch.float32)
    opt.step()
    st = opt.state[p]
    params.append(p.detach().tolist())
    ms.append(st["exp_avg"].tolist())
    vs.append(st["exp_avg_sq"].tolist())

# clip_grad_norm_: total 2-norm over both tensors = sqrt(9 + 16 + 0 + 144) = 13; coef = 1 / (13 + 1e-6).
a = torch.zeros(2, requires_grad=True); a.grad = torch.tensor([3.0, 4.0])
b = torch.zeros(1, requires_grad=True); b.grad = torch.tensor([12.0])
norm = torch.nn.utils.clip_grad_norm_([a, b], 1.0).item()
clip = {"grads": [[3.0, 4.0], [12.0]], "max_norm": 1.0, "total_norm": norm, "clipped": [a.grad.tolist(), b.grad.tolist()]}

out = {"torch": torch.__version__, "p0": P0, "grads": GRADS, **HP, "params": params, "exp_avg": ms, "exp_avg_sq": vs, "clip": clip}
with open(os.path.join(HERE, "adamw_reference.json"), "w") as f:
    json.dump(out, f, indent=1)
    f.write("\n")
print(json.dumps(out))
