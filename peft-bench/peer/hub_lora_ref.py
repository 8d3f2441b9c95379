#!/usr/bin/env python3
"""The like-for-like PyTorch peer of ScaleBench: LoRA on the Hub-shaped checkpoints it writes.

What it models
--------------
It reads the checkpoint directory `io.github.peft4j.bench.scale.ScaleBench` writes (config.json, BF16
safetensors: one `model.safetensors` or shards + `model.safetensors.index.json`, parsed by hand: an
8-byte little-endian header length, the JSON header, raw bytes -> torch.frombuffer(bfloat16) -> F32)
and builds the decoder as transformers' eager `LlamaForCausalLM` / `Qwen2ForCausalLM` computes it:
RMSNorm (F32, eps from the config), RoPE with `rope_theta` and Llama-3's `rope_scaling` "llama3"
(cos/sin under no_grad), grouped-query attention through `repeat_kv`, an additive causal mask of the
dtype's minimum, softmax, SiLU-gated MLP, q/k/v biases for Qwen2 (o/q/k/v for Llama's
`attention_bias`, MLP biases for `mlp_bias`), a tied head (the embedding tensor itself) or an untied
one, and the loss of `ForCausalLMLoss` (labels = inputs padded with -100 and shifted, mean cross
entropy over the full [B, T, vocab] logits). LoRA is HF PEFT's `Linear`: `base(x) +
lora_B(lora_A(dropout(x))) * alpha / r`, A kaiming-uniform(a=sqrt(5)), B zeros, on ScaleOptions'
targets (qv: q_proj, v_proj; all: the seven projections). The base is F32 and frozen; AdamW (torch
defaults: betas 0.9/0.999, eps 1e-8, weight decay 0.01, as peft4j's AdamW) over the LoRA tensors
only. The data are ScaleBench's: `java.util.Random(seed + 1).nextInt(vocab)` per token, step after
step, reproduced here bit for bit. Every step (5 by default, all timed, no warm-up) is forward, loss,
backward, AdamW step, zero_grad(set_to_none), as in `lora_ref.py` and peft4j's `BenchStepper`.
No gradient clipping, attention dropout 0 (the configs' value). `--gradient-checkpointing` wraps each
decoder layer in `torch.utils.checkpoint.checkpoint(..., use_reentrant=False)`, as transformers'
`gradient_checkpointing_enable()` does (the non-reentrant form needs no input that requires grad).

Weights are read one tensor at a time into a buffer the size of that tensor and widened to F32 (the
BF16 bytes are never held whole, no file is mmapped), and the modules are built around the loaded
tensors (no throw-away random init), as transformers' fast loading does.

The JSON line (stdout, last line) uses ScaleBench's field names where they mean the same thing:
load_s, params, params_trainable, threads, tokens_per_s, ms_per_step, cpu_s_per_step,
cpu_share_of_wall, losses (losses[0] is the loss before any update), tokens_first, rss_after_load_mib,
rss_after_train_mib, peak_rss_after_train_mib (VmHWM after the steps; ScaleBench's peak_rss_mib also
covers its save and merge, which the peer does not do), load_avg_start / load_avg_end.

How it was checked
------------------
Same checkpoint, same tokens (ScaleBench's `tokens_first` equal to ours): the loss before any update
(LoRA's B is zero, so dropout and A's init do not enter it) matched ScaleBench's on the full-size
checkpoints, seq 256, 2026-12-07: SmolLM2-135M 10.907448 / 10.907448 (0), Qwen2.5-0.5B 12.115133 /
12.115134 (7.9e-8 relative), Llama-3.2-1B 12.273045 / 12.273044 (7.8e-8); parameter counts equal.
HubPeerParityTest checks the same on the tiny variant of each model (within 5e-6 relative; at toy
sizes that catches biases and RoPE, not the K/V head order or RoPE scaling). The full-size check
discriminates: on these checkpoints, leaving out Llama-3's rope_scaling moves the loss by 2.5e-4
relative, RoPE theta 10000 instead of the config's 5e-3 / 2e-4 / 2e-4 (Llama / Qwen / SmolLM2),
tiling K/V heads instead of repeat_kv 7e-3 / 3e-3 / 1e-4, no RoPE 1.6e-3 / 3.9e-4 / 2.5e-4, and
dropping Qwen2's q/k/v biases 1.9e-3: each ≥ 1e-4, against ≤ 1e-7 for the model as built.

    peft-bench/scale-bench.sh writes the checkpoints;  PEER=1 runs this peer alternately with ScaleBench
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 peft-bench/peer/hub_lora_ref.py \\
        --checkpoint runs/peer/checkpoints/llama-3.2-1b --targets qv --threads 2

Plain torch (1.13 as Debian ships it) and the standard library; no transformers, peft or safetensors.
"""

import argparse
import json
import math
import os
import platform
import struct
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.utils.checkpoint

TARGETS = {"qv": ("q_proj", "v_proj"),
           "all": ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")}
DTYPES = {"BF16": torch.bfloat16, "F16": torch.float16, "F32": torch.float32}


# ---------------------------------------------------------------- process figures (as ProcessStats)
def status_mib(key):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def load_average():
    with open("/proc/loadavg") as f:
        return f.read().strip()


def blas_libs():
    libs = set()
    with open("/proc/self/maps") as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 6 and ("blas" in parts[5] or "mkl" in parts[5]):
                libs.add(parts[5])
    return sorted(libs)


def cpu_seconds():
    t = os.times()
    return t.user + t.system


# ---------------------------------------------------------------- data: ScaleBench's java.util.Random
class JavaRandom:
    """java.util.Random (its 48-bit LCG and nextInt(bound) as the Java SE spec defines them)."""
    MULTIPLIER, MASK = 0x5DEECE66D, (1 << 48) - 1

    def __init__(self, seed):
        self.state = (seed ^ self.MULTIPLIER) & self.MASK

    def next_bits(self, bits):
        self.state = (self.state * self.MULTIPLIER + 0xB) & self.MASK
        return self.state >> (48 - bits)

    def next_int(self, bound):
        r = self.next_bits(31)
        m = bound - 1
        if bound & m == 0:
            return (bound * r) >> 31
        u = r
        while True:
            r = u % bound
            if u - r + m < (1 << 31):  # Java: u - r + m < 0 after int overflow
                return r
            u = self.next_bits(31)


def scale_bench_batches(seed, steps, batch, seq, vocab):
    """The token ids ScaleBench trains on: one Random(seed + 1), batch × seq draws per step."""
    random = JavaRandom(seed + 1)
    return [torch.tensor([random.next_int(vocab) for _ in range(batch * seq)], dtype=torch.int64).view(batch, seq)
            for _ in range(steps)]


# ---------------------------------------------------------------- checkpoint
def checkpoint_files(directory):
    index = os.path.join(directory, "model.safetensors.index.json")
    if os.path.isfile(index):
        with open(index) as f:
            return sorted(set(json.load(f)["weight_map"].values()))
    return ["model.safetensors"]


def read_safetensors(path):
    """Yields (name, F32 tensor) one at a time, in file order; BF16/F16 widened, the bytes dropped."""
    with open(path, "rb") as f:
        (length,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(length))
        header.pop("__metadata__", None)
        for name, meta in sorted(header.items(), key=lambda kv: kv[1]["data_offsets"][0]):
            start, end = meta["data_offsets"]
            if meta["dtype"] not in DTYPES:
                raise ValueError(f"{path}: tensor {name} has dtype {meta['dtype']}, expected BF16, F16 or F32")
            raw = bytearray(end - start)
            f.seek(8 + length + start)
            if f.readinto(raw) != len(raw):
                raise ValueError(f"{path}: tensor {name} is truncated")
            t = torch.frombuffer(raw, dtype=DTYPES[meta["dtype"]]).view(meta["shape"])
            yield name, (t.float() if t.dtype != torch.float32 else t.clone())


def load_state_dict(directory):
    sd = {}
    for file in checkpoint_files(directory):
        sd.update(read_safetensors(os.path.join(directory, file)))
    return sd


# ---------------------------------------------------------------- model (transformers' eager Llama / Qwen2)
class FrozenLinear(nn.Module):
    """nn.Linear around loaded tensors (F.linear, as nn.Linear.forward), frozen."""

    def __init__(self, weight, bias=None):
        super().__init__()
        # a tied head is handed the embedding's Parameter itself: one tensor, counted once (tie_weights)
        self.weight = weight if isinstance(weight, nn.Parameter) else nn.Parameter(weight, requires_grad=False)
        self.bias = None if bias is None else nn.Parameter(bias, requires_grad=False)

    def forward(self, x):
        return F.linear(x, self.weight, self.bias)


class LoraLinear(nn.Module):
    """HF PEFT's lora.Linear: result = base(x) + lora_B(lora_A(dropout(x))) * scaling."""

    def __init__(self, base, r, alpha, dropout):
        super().__init__()
        self.base_layer = base
        out_features, in_features = base.weight.shape
        self.lora_dropout = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
        self.lora_A = nn.Linear(in_features, r, bias=False)
        self.lora_B = nn.Linear(r, out_features, bias=False)
        self.scaling = alpha / r
        nn.init.kaiming_uniform_(self.lora_A.weight, a=math.sqrt(5))
        nn.init.zeros_(self.lora_B.weight)

    def forward(self, x):
        result = self.base_layer(x)
        return result + self.lora_B(self.lora_A(self.lora_dropout(x))) * self.scaling


class RMSNorm(nn.Module):
    def __init__(self, weight, eps):
        super().__init__()
        self.weight = nn.Parameter(weight, requires_grad=False)
        self.eps = eps

    def forward(self, h):
        dtype = h.dtype
        h = h.to(torch.float32)
        variance = h.pow(2).mean(-1, keepdim=True)
        h = h * torch.rsqrt(variance + self.eps)
        return self.weight * h.to(dtype)


def rope_inv_freq(config, head_dim):
    """modeling_rope_utils: the default inverse frequencies, and Llama-3's scaling when configured."""
    base = float(config.get("rope_theta", 10000.0))
    inv_freq = 1.0 / (base ** (torch.arange(0, head_dim, 2, dtype=torch.int64).float() / head_dim))
    scaling = config.get("rope_scaling") or {}
    kind = scaling.get("rope_type", scaling.get("type", "default"))
    if kind == "default":
        return inv_freq
    if kind != "llama3":
        raise ValueError(f"rope_scaling type {kind!r} is not modelled (default or llama3)")
    factor, low, high = scaling["factor"], scaling["low_freq_factor"], scaling["high_freq_factor"]
    old_context = scaling["original_max_position_embeddings"]
    low_freq_wavelen, high_freq_wavelen = old_context / low, old_context / high
    wavelen = 2 * math.pi / inv_freq
    inv_freq_llama = torch.where(wavelen > low_freq_wavelen, inv_freq / factor, inv_freq)
    smooth = (old_context / wavelen - low) / (high - low)
    smoothed = (1 - smooth) * inv_freq_llama / factor + smooth * inv_freq_llama
    is_medium = ~(wavelen < high_freq_wavelen) * ~(wavelen > low_freq_wavelen)
    return torch.where(is_medium, smoothed, inv_freq_llama)


class RotaryEmbedding(nn.Module):
    def __init__(self, config, head_dim):
        super().__init__()
        self.register_buffer("inv_freq", rope_inv_freq(config, head_dim), persistent=False)

    @torch.no_grad()
    def forward(self, x, position_ids):
        inv = self.inv_freq[None, :, None].float().expand(position_ids.shape[0], -1, 1)
        freqs = (inv @ position_ids[:, None, :].float()).transpose(1, 2)
        emb = torch.cat((freqs, freqs), dim=-1)
        return emb.cos().to(x.dtype), emb.sin().to(x.dtype)  # attention_scaling 1.0 for both types


def rotate_half(x):
    x1, x2 = x[..., : x.shape[-1] // 2], x[..., x.shape[-1] // 2:]
    return torch.cat((-x2, x1), dim=-1)


def repeat_kv(h, groups):
    """[B, kvH, T, D] -> [B, kvH·groups, T, D], as transformers (expand + reshape)."""
    b, kv_heads, t, d = h.shape
    if groups == 1:
        return h
    return h[:, :, None, :, :].expand(b, kv_heads, groups, t, d).reshape(b, kv_heads * groups, t, d)


class Attention(nn.Module):
    def __init__(self, sd, prefix, config, head_dim):
        super().__init__()
        qkv_bias = config["model_type"] == "qwen2" or config.get("attention_bias", False)
        o_bias = config["model_type"] != "qwen2" and config.get("attention_bias", False)
        for name, bias in (("q_proj", qkv_bias), ("k_proj", qkv_bias), ("v_proj", qkv_bias), ("o_proj", o_bias)):
            setattr(self, name, linear(sd, prefix + name, bias))
        self.head_dim = head_dim
        self.groups = config["num_attention_heads"] // config["num_key_value_heads"]
        self.scaling = head_dim ** -0.5

    def forward(self, h, position_embeddings, mask):
        input_shape = h.shape[:-1]
        shape = (*input_shape, -1, self.head_dim)
        q = self.q_proj(h).view(shape).transpose(1, 2)
        k = self.k_proj(h).view(shape).transpose(1, 2)
        v = self.v_proj(h).view(shape).transpose(1, 2)
        cos, sin = position_embeddings
        cos, sin = cos.unsqueeze(1), sin.unsqueeze(1)
        q = (q * cos) + (rotate_half(q) * sin)
        k = (k * cos) + (rotate_half(k) * sin)
        k, v = repeat_kv(k, self.groups), repeat_kv(v, self.groups)
        weights = torch.matmul(q, k.transpose(2, 3)) * self.scaling + mask
        weights = F.softmax(weights, dim=-1, dtype=torch.float32).to(q.dtype)
        out = torch.matmul(weights, v).transpose(1, 2).contiguous()
        return self.o_proj(out.reshape(*input_shape, -1).contiguous())


class MLP(nn.Module):
    def __init__(self, sd, prefix, config):
        super().__init__()
        bias = config.get("mlp_bias", False)
        for name in ("gate_proj", "up_proj", "down_proj"):
            setattr(self, name, linear(sd, prefix + name, bias))

    def forward(self, h):
        return self.down_proj(F.silu(self.gate_proj(h)) * self.up_proj(h))


class DecoderLayer(nn.Module):
    def __init__(self, sd, i, config, head_dim):
        super().__init__()
        p = f"model.layers.{i}."
        eps = config["rms_norm_eps"]
        self.self_attn = Attention(sd, p + "self_attn.", config, head_dim)
        self.mlp = MLP(sd, p + "mlp.", config)
        self.input_layernorm = RMSNorm(sd.pop(p + "input_layernorm.weight"), eps)
        self.post_attention_layernorm = RMSNorm(sd.pop(p + "post_attention_layernorm.weight"), eps)

    def forward(self, h, position_embeddings, mask):
        h = h + self.self_attn(self.input_layernorm(h), position_embeddings, mask)
        return h + self.mlp(self.post_attention_layernorm(h))


def linear(sd, prefix, bias):
    return FrozenLinear(sd.pop(prefix + ".weight"), sd.pop(prefix + ".bias") if bias else None)


class CausalLM(nn.Module):
    """LlamaForCausalLM / Qwen2ForCausalLM built around a loaded state dict (consumed: what is left is unexpected)."""

    def __init__(self, sd, config):
        super().__init__()
        head_dim = config.get("head_dim") or config["hidden_size"] // config["num_attention_heads"]
        self.embed_tokens = nn.Embedding.from_pretrained(sd.pop("model.embed_tokens.weight"), freeze=True)
        self.layers = nn.ModuleList(DecoderLayer(sd, i, config, head_dim)
                                    for i in range(config["num_hidden_layers"]))
        self.norm = RMSNorm(sd.pop("model.norm.weight"), config["rms_norm_eps"])
        self.rotary_emb = RotaryEmbedding(config, head_dim)
        self.gradient_checkpointing = False
        if config.get("tie_word_embeddings", False):
            sd.pop("lm_head.weight", None)
            self.lm_head = FrozenLinear(self.embed_tokens.weight)
        else:
            self.lm_head = FrozenLinear(sd.pop("lm_head.weight"))

    def forward(self, input_ids):
        b, t = input_ids.shape
        h = self.embed_tokens(input_ids)
        position_ids = torch.arange(t).unsqueeze(0)
        with torch.no_grad():
            mask = torch.full((t, t), torch.finfo(h.dtype).min, dtype=h.dtype).triu(1)[None, None]
        position_embeddings = self.rotary_emb(h, position_ids)
        for layer in self.layers:
            if self.gradient_checkpointing and self.training:
                h = torch.utils.checkpoint.checkpoint(layer, h, position_embeddings, mask, use_reentrant=False)
            else:
                h = layer(h, position_embeddings, mask)
        return self.lm_head(self.norm(h))


def causal_lm_loss(logits, labels):
    """transformers' ForCausalLMLoss: labels padded with -100 then shifted; mean over the scored tokens."""
    logits = logits.float()
    shift_labels = F.pad(labels, (0, 1), value=-100)[..., 1:].contiguous()
    return F.cross_entropy(logits.view(-1, logits.size(-1)), shift_labels.view(-1), ignore_index=-100)


def apply_lora(model, targets, r, alpha, dropout):
    """Wraps every target projection inside the decoder layers (never the head), as get_peft_model."""
    names = [n for n, m in model.named_modules()
             if isinstance(m, FrozenLinear) and n.rpartition(".")[2] in TARGETS[targets] and n.startswith("layers.")]
    for name in names:
        parent, _, child = name.rpartition(".")
        owner = model.get_submodule(parent)
        setattr(owner, child, LoraLinear(getattr(owner, child), r, alpha, dropout))
    return names


# ---------------------------------------------------------------- main
def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--checkpoint", required=True, help="a directory ScaleBench / HubShapedCheckpoints wrote")
    p.add_argument("--targets", choices=tuple(TARGETS), default="qv")
    p.add_argument("--rank", type=int, default=16)
    p.add_argument("--alpha", type=float, default=32.0)
    p.add_argument("--lora-dropout", type=float, default=0.05)
    p.add_argument("--lr", type=float, default=1e-4)
    p.add_argument("--steps", type=int, default=5)
    p.add_argument("--seq", type=int, default=256)
    p.add_argument("--batch", type=int, default=1)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=0, help="ScaleBench's --seed: tokens from Random(seed + 1)")
    # ScaleBench's own flags, accepted so that one SCALE_FLAGS serves both sides: the peer always computes
    # the full logits (as transformers does), and neither saves a merged model nor writes a checkpoint
    for flag in ("--head-loss", "--max-shard-size", "--out", "--cache"):
        p.add_argument(flag, help=argparse.SUPPRESS)
    p.add_argument("--save-merged", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--gradient-checkpointing", action="store_true",
                   help="recompute each decoder layer in backward (torch.utils.checkpoint, non-reentrant)")
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    r = {"impl": "pytorch-peer", "model": os.path.basename(os.path.normpath(args.checkpoint)),
         "load_avg_start": load_average(), "checkpoint": args.checkpoint}
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    r.update({"threads": torch.get_num_threads(), "torch_version": torch.__version__,
              "python": platform.python_version(), "rss_engine_mib": status_mib("VmRSS")})
    with open(os.path.join(args.checkpoint, "config.json")) as f:
        config = json.load(f)

    t0 = time.perf_counter()
    sd = load_state_dict(args.checkpoint)
    model = CausalLM(sd, config)
    r["load_s"] = time.perf_counter() - t0
    r["rss_after_load_mib"] = status_mib("VmRSS")
    r["params"] = sum(p.numel() for p in model.parameters())
    r["unexpected_keys"] = len(sd)
    del sd

    wrapped = apply_lora(model, args.targets, args.rank, args.alpha, args.lora_dropout)
    trainable = [p for p in model.parameters() if p.requires_grad]
    r["lora"] = {"rank": args.rank, "alpha": args.alpha, "targets": list(TARGETS[args.targets]),
                 "wrapped": len(wrapped)}
    r["params_trainable"] = sum(p.numel() for p in trainable)
    r["head_loss"] = "full"
    r["gradient_checkpointing"] = args.gradient_checkpointing
    model.gradient_checkpointing = args.gradient_checkpointing
    opt = torch.optim.AdamW(trainable, lr=args.lr)  # betas (0.9, 0.999), eps 1e-8, weight_decay 0.01
    model.train()
    batches = scale_bench_batches(args.seed, args.steps, args.batch, args.seq, config["vocab_size"])
    r["tokens_first"] = batches[0].view(-1)[:8].tolist()

    ms, losses = [], []
    cpu0, start = cpu_seconds(), time.perf_counter()
    for i, ids in enumerate(batches):
        t = time.perf_counter()
        loss = causal_lm_loss(model(ids), ids)
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
        losses.append(loss.item())
        ms.append((time.perf_counter() - t) * 1e3)
        print(f"step {i} loss {losses[-1]:.4f} {ms[-1]:.0f} ms  RSS {status_mib('VmRSS'):.0f} MiB", file=sys.stderr)
    total = time.perf_counter() - start
    cpu = cpu_seconds() - cpu0
    r.update({
        "seq": args.seq, "batch": args.batch, "steps": args.steps,
        "tokens_per_s": args.steps * args.seq * args.batch / total,
        "ms_per_step": ms, "cpu_s_per_step": cpu / args.steps, "cpu_share_of_wall": cpu / total,
        "losses": losses, "rss_after_train_mib": status_mib("VmRSS"),
        "peak_rss_after_train_mib": status_mib("VmHWM"), "peak_rss_mib": status_mib("VmHWM"),
        "blas_libs": blas_libs(),
        "env": {k: v for k, v in sorted(os.environ.items())
                if k.startswith(("MALLOC_", "GLIBC_TUNABLES", "OMP_", "OPENBLAS_", "MKL_", "LD_PRELOAD"))},
        "load_avg_end": load_average(),
    })
    print(json.dumps(r), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
