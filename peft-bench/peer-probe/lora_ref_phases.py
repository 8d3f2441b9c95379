#!/usr/bin/env python3
"""Reference ("peer") LoRA fine-tuning throughput benchmark in plain PyTorch.

PHASES COPY (peft-bench/peer-probe): shared/bench/lora_ref.py with memory readings at the points
where peft4j's TrainBench takes them under -Dpeft4j.bench.phases=true (MemoryPhases): VmRSS, VmHWM,
anonymous / file-backed resident pages and glibc's mallinfo2, as "rss_phases" in the JSON line.
Only the mark(...) calls differ from the shared script; the workload is the same.

Self-contained: depends on torch only.  Two architectures:

  --arch llama : token embedding, N x [RMSNorm -> causal self-attention with
                 rotary position embeddings (q/k/v/o projections, no bias) ->
                 residual -> RMSNorm -> SwiGLU MLP (gate/up/down, no bias) ->
                 residual], final RMSNorm, untied lm_head (no bias).
  --arch gpt2  : token + learned position embeddings, N x [LayerNorm ->
                 causal self-attention with fused c_attn (qkv) + c_proj ->
                 residual -> LayerNorm -> MLP c_fc -> GELU(tanh) -> c_proj ->
                 residual], final LayerNorm, untied lm_head (no bias).  All
                 other linears and LayerNorms have biases.

Modes (--mode):
  train       : the benchmark proper.  LoRA (default) or --full fine-tuning.
                Each step = forward, next-token cross-entropy, backward,
                AdamW step, zero_grad.
  fwd         : "raw op floor", forward + loss only, under torch.inference_mode().
  fwdbwd      : "raw op floor", frozen base model, no LoRA, no optimizer:
                forward + loss + backward.  Nothing but the embedding output
                requires grad, so the backward computes activation gradients
                through every layer (exactly what LoRA-on-every-layer needs)
                but no weight gradients.
  fwdbwd_full : forward + loss + backward with every weight requiring grad
                (weight gradients computed, no optimizer step) -- the floor of
                --full.

--sanity N trains N steps on ONE repeated batch and checks that the loss
decreases (exit code 3 if it does not).

The last line printed on stdout is a single JSON object with all figures.
"""

import argparse
import ctypes
import json
import math
import os
import platform
import re
import resource
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def rss_now_mib():
    """Current resident set size of this process in MiB (Linux)."""
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


PHASES = []
_SELF = ctypes.CDLL(None)


def _rollup_mib():
    out = {}
    with open("/proc/self/smaps_rollup") as f:
        for line in f:
            parts = line.split()
            if parts[0] in ("Rss:", "Anonymous:"):
                out[parts[0]] = int(parts[1]) / 1024.0
    return out


def _mallinfo2():
    class MallInfo2(ctypes.Structure):
        _fields_ = [(n, ctypes.c_size_t) for n in
                    ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks",
                     "uordblks", "fordblks", "keepcost")]
    libc = ctypes.CDLL("libc.so.6")
    libc.mallinfo2.restype = MallInfo2
    return libc.mallinfo2()


def mark(phase):
    """One reading, named as MemoryPhases names peft4j's."""
    with open("/proc/self/status") as f:
        status = {l.split(":")[0]: int(l.split()[1]) / 1024.0 for l in f if l.startswith(("VmRSS", "VmHWM"))}
    roll = _rollup_mib()
    m = _mallinfo2()
    live = (ctypes.c_long * 2)(-1, -1)
    if hasattr(_SELF, "mprobe_read"):
        _SELF.mprobe_read(live)
    extra = {}
    if hasattr(_SELF, "mprobe_walk") and re.search(os.environ.get("PHASES_HEAPMAP", "^$"), phase):
        buf = ctypes.create_string_buffer(65536)
        stats = (ctypes.c_long * 6)()
        _SELF.mprobe_walk(buf, 60000, stats)
        extra["heap_map"] = buf.value.decode() + "|" + " ".join(str(v) for v in stats)
    PHASES.append({**extra, "phase": phase, "rss": status["VmRSS"], "hwm": status["VmHWM"],
                   "anon": roll["Anonymous:"], "file": roll["Rss:"] - roll["Anonymous:"],
                   "malloc_arena": m.arena / 2**20, "malloc_mmap": m.hblkhd / 2**20,
                   "malloc_in_use": m.uordblks / 2**20, "malloc_free": m.fordblks / 2**20,
                   **({"live": live[0] / 2**20, "live_peak": live[1] / 2**20} if live[0] >= 0 else {})})


def peak_rss_mib():
    # ru_maxrss is in KiB on Linux
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def loaded_blas_libs():
    """Which BLAS/LAPACK shared objects are mapped into this process."""
    libs = set()
    with open("/proc/self/maps") as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 6 and ("blas" in parts[5] or "mkl" in parts[5]):
                libs.add(os.path.realpath(parts[5]))
    return sorted(libs)


# --------------------------------------------------------------------------
# LoRA
# --------------------------------------------------------------------------
class LoRALinear(nn.Module):
    """y = base(x) + (dropout(x) @ A^T @ B^T) * alpha / r  (PEFT semantics).

    The wrapped base Linear is frozen.  A (r x in) is kaiming-uniform(a=sqrt 5)
    initialised, B (out x r) is zero, so the wrapped layer starts out exactly
    equal to the base layer.
    """

    def __init__(self, base: nn.Linear, r: int, alpha: float, dropout: float):
        super().__init__()
        self.base = base
        for p in self.base.parameters():
            p.requires_grad_(False)
        self.r = r
        self.scaling = alpha / r
        self.lora_dropout = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
        self.lora_A = nn.Parameter(torch.empty(r, base.in_features))
        self.lora_B = nn.Parameter(torch.zeros(base.out_features, r))
        nn.init.kaiming_uniform_(self.lora_A, a=math.sqrt(5))

    def forward(self, x):
        delta = F.linear(F.linear(self.lora_dropout(x), self.lora_A), self.lora_B)
        return self.base(x) + delta * self.scaling


# --------------------------------------------------------------------------
# Llama-style model
# --------------------------------------------------------------------------
class RMSNorm(nn.Module):
    def __init__(self, dim, eps=1e-5):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def rope_tables(seq, head_dim, theta=10000.0):
    """cos/sin tables of shape (seq, head_dim), HF 'rotate_half' layout."""
    inv_freq = 1.0 / (theta ** (torch.arange(0, head_dim, 2, dtype=torch.float32) / head_dim))
    t = torch.arange(seq, dtype=torch.float32)
    freqs = torch.outer(t, inv_freq)              # (seq, head_dim/2)
    emb = torch.cat((freqs, freqs), dim=-1)       # (seq, head_dim)
    return emb.cos(), emb.sin()


def rotate_half(x):
    x1, x2 = x.chunk(2, dim=-1)
    return torch.cat((-x2, x1), dim=-1)


def causal_attention(q, k, v, mask):
    """q, k, v: (B, H, T, hd); mask: (T, T) bool, True = masked out."""
    hd = q.size(-1)
    att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(hd))
    att = att.masked_fill(mask, float("-inf"))
    att = F.softmax(att, dim=-1)
    return att @ v


class LlamaAttention(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        assert dim % heads == 0
        self.heads = heads
        self.head_dim = dim // heads
        self.q_proj = nn.Linear(dim, dim, bias=False)
        self.k_proj = nn.Linear(dim, dim, bias=False)
        self.v_proj = nn.Linear(dim, dim, bias=False)
        self.o_proj = nn.Linear(dim, dim, bias=False)

    def forward(self, x, cos, sin, mask):
        B, T, C = x.shape
        q = self.q_proj(x).view(B, T, self.heads, self.head_dim).transpose(1, 2)
        k = self.k_proj(x).view(B, T, self.heads, self.head_dim).transpose(1, 2)
        v = self.v_proj(x).view(B, T, self.heads, self.head_dim).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        y = causal_attention(q, k, v, mask)
        y = y.transpose(1, 2).reshape(B, T, C)
        return self.o_proj(y)


class SwiGLU(nn.Module):
    def __init__(self, dim, ffn):
        super().__init__()
        self.gate_proj = nn.Linear(dim, ffn, bias=False)
        self.up_proj = nn.Linear(dim, ffn, bias=False)
        self.down_proj = nn.Linear(ffn, dim, bias=False)

    def forward(self, x):
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class LlamaBlock(nn.Module):
    def __init__(self, dim, heads, ffn):
        super().__init__()
        self.input_layernorm = RMSNorm(dim)
        self.self_attn = LlamaAttention(dim, heads)
        self.post_attention_layernorm = RMSNorm(dim)
        self.mlp = SwiGLU(dim, ffn)

    def forward(self, x, cos, sin, mask):
        x = x + self.self_attn(self.input_layernorm(x), cos, sin, mask)
        x = x + self.mlp(self.post_attention_layernorm(x))
        return x


class LlamaLM(nn.Module):
    def __init__(self, vocab, dim, layers, heads, ffn, max_seq):
        super().__init__()
        self.embed_tokens = nn.Embedding(vocab, dim)
        self.layers = nn.ModuleList(LlamaBlock(dim, heads, ffn) for _ in range(layers))
        self.norm = RMSNorm(dim)
        self.lm_head = nn.Linear(dim, vocab, bias=False)
        cos, sin = rope_tables(max_seq, dim // heads)
        self.register_buffer("rope_cos", cos, persistent=False)
        self.register_buffer("rope_sin", sin, persistent=False)
        self.register_buffer("causal_mask",
                             torch.ones(max_seq, max_seq, dtype=torch.bool).triu(1),
                             persistent=False)

    def embed(self, idx):
        return self.embed_tokens(idx)

    def body(self, x):
        T = x.size(1)
        cos, sin, mask = self.rope_cos[:T], self.rope_sin[:T], self.causal_mask[:T, :T]
        for layer in self.layers:
            x = layer(x, cos, sin, mask)
        return self.lm_head(self.norm(x))


# --------------------------------------------------------------------------
# GPT-2-style model
# --------------------------------------------------------------------------
class GPT2Attention(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        assert dim % heads == 0
        self.heads = heads
        self.head_dim = dim // heads
        self.c_attn = nn.Linear(dim, 3 * dim, bias=True)   # fused q, k, v
        self.c_proj = nn.Linear(dim, dim, bias=True)

    def forward(self, x, mask):
        B, T, C = x.shape
        q, k, v = self.c_attn(x).split(C, dim=-1)
        q = q.view(B, T, self.heads, self.head_dim).transpose(1, 2)
        k = k.view(B, T, self.heads, self.head_dim).transpose(1, 2)
        v = v.view(B, T, self.heads, self.head_dim).transpose(1, 2)
        y = causal_attention(q, k, v, mask)
        y = y.transpose(1, 2).reshape(B, T, C)
        return self.c_proj(y)


class GPT2MLP(nn.Module):
    def __init__(self, dim, ffn):
        super().__init__()
        self.c_fc = nn.Linear(dim, ffn, bias=True)
        self.c_proj = nn.Linear(ffn, dim, bias=True)

    def forward(self, x):
        return self.c_proj(F.gelu(self.c_fc(x), approximate="tanh"))


class GPT2Block(nn.Module):
    def __init__(self, dim, heads, ffn):
        super().__init__()
        self.ln_1 = nn.LayerNorm(dim, eps=1e-5)
        self.attn = GPT2Attention(dim, heads)
        self.ln_2 = nn.LayerNorm(dim, eps=1e-5)
        self.mlp = GPT2MLP(dim, ffn)

    def forward(self, x, mask):
        x = x + self.attn(self.ln_1(x), mask)
        x = x + self.mlp(self.ln_2(x))
        return x


class GPT2LM(nn.Module):
    def __init__(self, vocab, dim, layers, heads, ffn, max_seq):
        super().__init__()
        self.wte = nn.Embedding(vocab, dim)
        self.wpe = nn.Embedding(max_seq, dim)
        self.h = nn.ModuleList(GPT2Block(dim, heads, ffn) for _ in range(layers))
        self.ln_f = nn.LayerNorm(dim, eps=1e-5)
        self.lm_head = nn.Linear(dim, vocab, bias=False)
        self.register_buffer("causal_mask",
                             torch.ones(max_seq, max_seq, dtype=torch.bool).triu(1),
                             persistent=False)

    def embed(self, idx):
        T = idx.size(1)
        pos = torch.arange(T, device=idx.device)
        return self.wte(idx) + self.wpe(pos)

    def body(self, x):
        T = x.size(1)
        mask = self.causal_mask[:T, :T]
        for block in self.h:
            x = block(x, mask)
        return self.lm_head(self.ln_f(x))


def init_weights(model):
    """HF-style init: N(0, 0.02) for Linear/Embedding, zero biases, unit norms."""
    for m in model.modules():
        if isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, mean=0.0, std=0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Embedding):
            nn.init.normal_(m.weight, mean=0.0, std=0.02)


def lm_loss(logits, targets):
    return F.cross_entropy(logits.reshape(-1, logits.size(-1)), targets.reshape(-1))


# --------------------------------------------------------------------------
# LoRA injection
# --------------------------------------------------------------------------
TARGETS = {
    # llama: q_proj/v_proj, or every linear inside the decoder layers
    ("llama", "qv"): ("q_proj", "v_proj"),
    ("llama", "all"): ("q_proj", "k_proj", "v_proj", "o_proj",
                       "gate_proj", "up_proj", "down_proj"),
    # gpt2 has a fused qkv projection; "qv" means the fused c_attn (the PEFT
    # default for GPT-2), "all" = c_attn + attn.c_proj + mlp.c_fc + mlp.c_proj
    ("gpt2", "qv"): ("attn.c_attn",),
    ("gpt2", "all"): ("attn.c_attn", "attn.c_proj", "mlp.c_fc", "mlp.c_proj"),
}


def apply_lora(model, arch, targets, r, alpha, dropout):
    """Freeze everything, then wrap the target Linears (inside the decoder
    layers only; lm_head is never wrapped) with LoRALinear."""
    for p in model.parameters():
        p.requires_grad_(False)
    suffixes = TARGETS[(arch, targets)]
    to_wrap = [name for name, m in model.named_modules()
               if isinstance(m, nn.Linear) and name != "lm_head"
               and any(name == s or name.endswith("." + s) for s in suffixes)]
    for name in to_wrap:
        parent_name, _, child = name.rpartition(".")
        parent = model.get_submodule(parent_name)
        setattr(parent, child, LoRALinear(getattr(parent, child), r, alpha, dropout))
    return to_wrap


# --------------------------------------------------------------------------
# main
# --------------------------------------------------------------------------
def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--arch", choices=("llama", "gpt2"), default="llama")
    p.add_argument("--vocab", type=int, default=2048)
    p.add_argument("--dim", type=int, default=256)
    p.add_argument("--layers", type=int, default=4)
    p.add_argument("--heads", type=int, default=8)
    p.add_argument("--ffn", type=int, default=None,
                   help="MLP hidden size; default llama: 8/3*dim rounded up to a "
                        "multiple of 16 (688 for dim 256), gpt2: 4*dim")
    p.add_argument("--seq", type=int, default=128)
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--steps", type=int, default=30)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=1234)
    p.add_argument("--mode", choices=("train", "fwd", "fwdbwd", "fwdbwd_full"),
                   default="train")
    p.add_argument("--full", action="store_true",
                   help="full fine-tuning (all parameters trainable, no LoRA)")
    p.add_argument("--targets", choices=("qv", "all"), default="qv")
    p.add_argument("--rank", type=int, default=8)
    p.add_argument("--alpha", type=float, default=16.0)
    p.add_argument("--lora-dropout", type=float, default=0.05)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--sanity", type=int, default=0, metavar="N",
                   help="train N steps on one repeated batch and check the loss "
                        "decreases (replaces warmup/timed steps)")
    p.add_argument("--quiet", action="store_true", help="no per-step lines")
    args = p.parse_args(argv)
    if args.ffn is None:
        args.ffn = (-(-(8 * args.dim // 3) // 16) * 16) if args.arch == "llama" else 4 * args.dim
    if args.mode != "train" and (args.full or args.sanity):
        p.error("--full/--sanity only apply to --mode train")
    return args


def main(argv=None):
    args = parse_args(argv)
    rss_after_import = rss_now_mib()
    mark("after_engine")
    default_threads = torch.get_num_threads()
    torch.set_num_threads(args.threads)

    # ---- model -----------------------------------------------------------
    torch.manual_seed(args.seed)
    Model = LlamaLM if args.arch == "llama" else GPT2LM
    model = Model(args.vocab, args.dim, args.layers, args.heads, args.ffn, args.seq)
    init_weights(model)
    params_base = sum(p.numel() for p in model.parameters())

    wrapped = []
    use_lora = args.mode == "train" and not args.full
    if use_lora:
        wrapped = apply_lora(model, args.arch, args.targets,
                             args.rank, args.alpha, args.lora_dropout)
    elif args.mode in ("fwd", "fwdbwd"):
        for p in model.parameters():
            p.requires_grad_(False)
    # else: --full or fwdbwd_full -> everything stays trainable

    mark("after_model")
    trainable = [p for p in model.parameters() if p.requires_grad]
    params_total = sum(p.numel() for p in model.parameters())
    params_trainable = sum(p.numel() for p in trainable)
    model.train()

    opt = None
    if args.mode == "train":
        # torch defaults otherwise: betas (0.9, 0.999), eps 1e-8, weight_decay 0.01
        opt = torch.optim.AdamW(trainable, lr=args.lr)
    mark("after_optimizer")

    # ---- data: random tokens, fixed seed ----------------------------------
    gen = torch.Generator().manual_seed(args.seed + 1)

    def next_batch():
        toks = torch.randint(0, args.vocab, (args.batch, args.seq + 1), generator=gen)
        return toks[:, :-1].contiguous(), toks[:, 1:].contiguous()

    # ---- one step ----------------------------------------------------------
    step_count = [0]

    def step(inp, tgt):
        step_count[0] += 1
        n = step_count[0]
        if args.mode == "train":
            logits = model.body(model.embed(inp))
            mark(f"step{n}_logits")
            loss = lm_loss(logits, tgt)
            del logits
            mark(f"step{n}_forward")
            loss.backward()
            mark(f"step{n}_backward")
            opt.step()
            opt.zero_grad(set_to_none=True)
            mark(f"step{n}_optimizer_step")
        elif args.mode == "fwd":
            with torch.inference_mode():
                loss = lm_loss(model.body(model.embed(inp)), tgt)
        elif args.mode == "fwdbwd":
            # weights frozen: let autograd start at the embedding output so the
            # backward still flows through every layer (activation grads only)
            x = model.embed(inp).detach().requires_grad_(True)
            logits = model.body(x)
            mark(f"step{n}_logits")
            loss = lm_loss(logits, tgt)
            del logits
            mark(f"step{n}_forward")
            loss.backward()
            mark(f"step{n}_backward")
            x.grad = None
        else:  # fwdbwd_full
            loss = lm_loss(model.body(model.embed(inp)), tgt)
            loss.backward()
            for p in trainable:
                p.grad = None
        return loss.item()

    print(f"# torch {torch.__version__}  threads {torch.get_num_threads()} "
          f"(default was {default_threads})  python {platform.python_version()}",
          flush=True)
    print(f"# arch={args.arch} mode={args.mode} "
          f"{'full' if args.full else ('lora targets=' + args.targets) if use_lora else 'frozen'} "
          f"vocab={args.vocab} dim={args.dim} layers={args.layers} heads={args.heads} "
          f"ffn={args.ffn} seq={args.seq} batch={args.batch}", flush=True)
    print(f"# params total={params_total:,} trainable={params_trainable:,} "
          f"({100.0 * params_trainable / params_total:.3f}%)  lora-wrapped={len(wrapped)}",
          flush=True)

    result = {
        "arch": args.arch, "mode": args.mode,
        "variant": "full" if args.full else (f"lora-{args.targets}" if use_lora else "frozen"),
        "vocab": args.vocab, "dim": args.dim, "layers": args.layers, "heads": args.heads,
        "ffn": args.ffn, "seq": args.seq, "batch": args.batch,
        "threads": torch.get_num_threads(), "default_threads": default_threads,
        "torch_version": torch.__version__, "python": platform.python_version(),
        "blas_libs": None,
        "params_base": params_base, "params_total": params_total,
        "params_trainable": params_trainable, "lora_wrapped": len(wrapped),
        "lora": ({"rank": args.rank, "alpha": args.alpha, "dropout": args.lora_dropout,
                  "targets": args.targets} if use_lora else None),
        "optimizer": ({"name": "AdamW", "lr": args.lr, "betas": [0.9, 0.999],
                       "eps": 1e-8, "weight_decay": 0.01} if opt else None),
        "seed": args.seed,
        "env": {k: v for k, v in sorted(os.environ.items())
                if k.startswith(("MALLOC_", "GLIBC_TUNABLES", "OMP_", "OPENBLAS_", "MKL_",
                                 "LD_LIBRARY_PATH", "LD_PRELOAD"))},
    }

    # ---- sanity: overfit one repeated batch ---------------------------------
    if args.sanity:
        inp, tgt = next_batch()
        losses = []
        for i in range(args.sanity + 1):
            losses.append(step(inp, tgt))
            if not args.quiet and (i % 10 == 0 or i == args.sanity):
                print(f"sanity step {i:4d} loss {losses[-1]:.4f}", flush=True)
        # losses[i] is the loss *before* update i; losses[N] is after N updates
        decreased = losses[-1] < losses[0]
        result.update({
            "sanity_steps": args.sanity, "sanity_loss_first": losses[0],
            "sanity_loss_last": losses[-1],
            "sanity_loss_min": min(losses), "sanity_decreased": decreased,
            "sanity_losses_every10": losses[::10],
            "blas_libs": loaded_blas_libs(),
            "peak_rss_mib": peak_rss_mib(), "rss_after_import_mib": rss_after_import,
        })
        print(f"sanity: loss {losses[0]:.4f} -> {losses[-1]:.4f} over {args.sanity} "
              f"updates on one repeated batch: {'DECREASED' if decreased else 'DID NOT DECREASE'}")
        print(json.dumps(result), flush=True)
        return 0 if decreased else 3

    # ---- warmup + timed steps -----------------------------------------------
    batches = [next_batch() for _ in range(args.warmup + args.steps)]
    warm_losses = [step(*batches[i]) for i in range(args.warmup)]

    step_ms, losses = [], []
    ru0 = resource.getrusage(resource.RUSAGE_SELF)
    t_start = time.perf_counter()
    for i in range(args.steps):
        t0 = time.perf_counter()
        losses.append(step(*batches[args.warmup + i]))
        step_ms.append((time.perf_counter() - t0) * 1e3)
        if not args.quiet:
            print(f"step {i:3d} loss {losses[-1]:.4f} {step_ms[-1]:8.1f} ms", flush=True)
    total_s = time.perf_counter() - t_start
    ru1 = resource.getrusage(resource.RUSAGE_SELF)

    tokens = args.batch * args.seq * args.steps
    result.update({
        "warmup": args.warmup, "steps": args.steps,
        "total_s": total_s,
        "tokens_per_s": tokens / total_s,
        "ms_per_step": 1e3 * total_s / args.steps,
        "ms_per_step_median": statistics.median(step_ms),
        "ms_per_step_min": min(step_ms), "ms_per_step_max": max(step_ms),
        "loss_first": (warm_losses or losses)[0], "loss_final": losses[-1],
        "peak_rss_mib": peak_rss_mib(), "rss_after_import_mib": rss_after_import,
        "blas_libs": loaded_blas_libs(),
        "rss_phases": PHASES,
        # process CPU time and minor page faults during the timed steps only
        "timed_user_s": ru1.ru_utime - ru0.ru_utime,
        "timed_sys_s": ru1.ru_stime - ru0.ru_stime,
        "timed_minflt_per_step": (ru1.ru_minflt - ru0.ru_minflt) / args.steps,
    })
    print(f"tokens/s {result['tokens_per_s']:.1f}  ms/step {result['ms_per_step']:.1f} "
          f"(median {result['ms_per_step_median']:.1f}, min {result['ms_per_step_min']:.1f}, "
          f"max {result['ms_per_step_max']:.1f})  peak RSS {result['peak_rss_mib']:.0f} MiB "
          f"(after import {rss_after_import:.0f} MiB)  trainable {params_trainable:,}/"
          f"{params_total:,}  final loss {losses[-1]:.4f}  [timed: user {result['timed_user_s']:.1f} s, "
          f"sys {result['timed_sys_s']:.1f} s, {result['timed_minflt_per_step']:.0f} minor faults/step]",
          flush=True)
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
