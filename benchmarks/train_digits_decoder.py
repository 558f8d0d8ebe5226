"""Train the digits decoders shipped with reluinv (plain numpy, seeded, deterministic).

A small variational autoencoder on scikit-learn's bundled 8 x 8 digits
(``sklearn.datasets.load_digits``: 1797 images, no download), pixels scaled to [0, 1]:

    encoder  64 -> 40 (s) -> (mu, log sigma^2) in R^10
    decoder  10 -> 40 (s) -> 64, linear head:  G(z) = W_2 s(W_1 z + b_1) + b_2

with ``s`` ReLU (``kind="relu"``) or LeakyReLU(0.1) (``kind="leaky"``). Loss per image:
``||x - G(mu + sigma eps)||^2 / (2 SIGMA^2) + KL(N(mu, sigma^2) || N(0, I))``, i.e. a
Gaussian decoder of fixed standard deviation ``SIGMA`` (the usual VAE bound), minimised by
Adam on mini-batches. Gradients are written out by hand. The latent codes therefore follow
the prior ``N(0, I)`` approximately, which is what the hybrid inverter's default latent box
``[-5, 5]^k`` assumes.

Only the decoder is kept: written as ONNX (float32) into ``src/reluinv/data/models/`` with
its provenance (script, seed, epochs, data, final losses) in the model's metadata. Rerun:

    python benchmarks/train_digits_decoder.py          # both kinds, about 10 s

Same seed, same numpy and BLAS: the same weights (the script prints their SHA-256).
"""

from __future__ import annotations

import argparse
import hashlib
import time
from pathlib import Path

import numpy as np

import reluinv as ri

SEED = 20190
EPOCHS = 400
BATCH = 64
LEARNING_RATE = 2e-3
LATENT = 10
HIDDEN = 40
SIGMA = 0.2  # decoder noise level: pixel errors measured in units of 0.2
LEAKY_SLOPE = 0.1
KINDS = {"relu": "relu", "leaky": ("leaky_relu", LEAKY_SLOPE)}
OUT = Path(__file__).resolve().parents[1] / "src" / "reluinv" / "data" / "models"


def _act(t: np.ndarray, alpha: float) -> np.ndarray:
    return np.where(t > 0, t, alpha * t)


def _dact(t: np.ndarray, alpha: float) -> np.ndarray:
    return np.where(t > 0, 1.0, alpha)


def train(kind: str, *, seed: int = SEED, epochs: int = EPOCHS) -> tuple[ri.ReluNetwork, dict]:
    from sklearn.datasets import load_digits

    alpha = 0.0 if kind == "relu" else LEAKY_SLOPE
    X = load_digits().data.astype(np.float64) / 16.0
    n, d = X.shape
    rng = np.random.default_rng(seed)

    def glorot(fan_out: int, fan_in: int) -> np.ndarray:
        return rng.normal(0.0, np.sqrt(2.0 / (fan_in + fan_out)), size=(fan_out, fan_in))

    params = {
        "E1": glorot(HIDDEN, d), "e1": np.zeros(HIDDEN),
        "Em": glorot(LATENT, HIDDEN), "em": np.zeros(LATENT),
        "Ev": glorot(LATENT, HIDDEN), "ev": np.zeros(LATENT),
        "D1": glorot(HIDDEN, LATENT), "d1": np.zeros(HIDDEN),
        "D2": glorot(d, HIDDEN), "d2": np.full(d, X.mean()),
    }
    m = {k: np.zeros_like(v) for k, v in params.items()}
    v = {k: np.zeros_like(p) for k, p in params.items()}
    beta1, beta2, step = 0.9, 0.999, 0
    history = []
    for _epoch in range(epochs):
        order = rng.permutation(n)
        total_rec = total_kl = 0.0
        for start in range(0, n, BATCH):
            xb = X[order[start:start + BATCH]]
            b = len(xb)
            p = params
            # forward
            a1 = xb @ p["E1"].T + p["e1"]
            h1 = _act(a1, alpha)
            mu = h1 @ p["Em"].T + p["em"]
            logvar = np.clip(h1 @ p["Ev"].T + p["ev"], -10.0, 10.0)
            eps = rng.normal(size=mu.shape)
            std = np.exp(0.5 * logvar)
            z = mu + std * eps
            a2 = z @ p["D1"].T + p["d1"]
            h2 = _act(a2, alpha)
            out = h2 @ p["D2"].T + p["d2"]
            diff = out - xb
            rec = np.sum(diff**2) / (2 * SIGMA**2)
            kl = 0.5 * np.sum(mu**2 + np.exp(logvar) - 1.0 - logvar)
            total_rec += rec
            total_kl += kl
            # backward (mean over the batch)
            g_out = diff / (SIGMA**2) / b
            grads = {"D2": g_out.T @ h2, "d2": g_out.sum(0)}
            g_a2 = (g_out @ p["D2"]) * _dact(a2, alpha)
            grads["D1"] = g_a2.T @ z
            grads["d1"] = g_a2.sum(0)
            g_z = g_a2 @ p["D1"]
            g_mu = g_z + mu / b
            g_logvar = g_z * eps * 0.5 * std + 0.5 * (np.exp(logvar) - 1.0) / b
            grads["Em"], grads["em"] = g_mu.T @ h1, g_mu.sum(0)
            grads["Ev"], grads["ev"] = g_logvar.T @ h1, g_logvar.sum(0)
            g_h1 = g_mu @ p["Em"] + g_logvar @ p["Ev"]
            g_a1 = g_h1 * _dact(a1, alpha)
            grads["E1"], grads["e1"] = g_a1.T @ xb, g_a1.sum(0)
            step += 1
            for key, g in grads.items():
                m[key] = beta1 * m[key] + (1 - beta1) * g
                v[key] = beta2 * v[key] + (1 - beta2) * g * g
                m_hat = m[key] / (1 - beta1**step)
                v_hat = v[key] / (1 - beta2**step)
                params[key] = params[key] - LEARNING_RATE * m_hat / (np.sqrt(v_hat) + 1e-8)
        history.append((total_rec / n, total_kl / n))
    # reconstruction error of the means, in pixel units
    h1 = _act(X @ params["E1"].T + params["e1"], alpha)
    mu = h1 @ params["Em"].T + params["em"]
    decoder = ri.ReluNetwork([params["D1"], params["D2"]], [params["d1"], params["d2"]],
                             KINDS[kind], output_activation="linear")
    rmse = float(np.sqrt(np.mean((decoder.forward(mu) - X) ** 2)))
    info = {
        "final_reconstruction_loss": round(float(history[-1][0]), 4),
        "final_kl": round(float(history[-1][1]), 4),
        "rmse_of_means": round(rmse, 5),
        "latent_mean_abs": round(float(np.mean(np.abs(mu))), 4),
        "latent_max_abs": round(float(np.max(np.abs(mu))), 4),
    }
    return decoder, info


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for kind in KINDS:
        started = time.perf_counter()
        decoder, info = train(kind, seed=args.seed, epochs=args.epochs)
        path = args.out / f"digits_decoder_{kind}.onnx"
        ri.write_onnx(
            decoder, path, dtype="float32",
            script="benchmarks/train_digits_decoder.py", seed=args.seed, epochs=args.epochs,
            batch=BATCH, learning_rate=LEARNING_RATE, optimizer="adam",
            model=f"VAE 64 -> {HIDDEN} -> 2 x {LATENT}; decoder {LATENT} -> {HIDDEN} -> 64, "
                  "linear head",
            loss=f"||x - G(z)||^2 / (2 * {SIGMA}^2) + KL(q(z|x) || N(0, I))",
            data="sklearn.datasets.load_digits: 1797 8x8 images, pixels / 16",
            **info)
        digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
        print(f"{kind:>5}: {path.name} {path.stat().st_size} bytes, sha256 {digest}..., "
              f"{time.perf_counter() - started:.1f} s, {info}")


if __name__ == "__main__":
    main()
