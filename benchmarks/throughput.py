"""Training throughput (tokens/s) of the workbook's two reference models on the current backend.

    KERAS_BACKEND=tensorflow python benchmarks/throughput.py
    KERAS_BACKEND=torch      python benchmarks/throughput.py --out benchmarks/results

Models (the configurations notebooks 02 and 03 use at the cpu profile's scale):
- char LSTM language model: vocabulary 65, embedding 64, 2 x LSTM(256), batch 64 x 100 characters;
- BiLSTM sentiment classifier: vocabulary 20,000, embedding 50, BiLSTM(64) with masking,
  batch 64 x 200 tokens.

Each model trains on random token ids for one warm-up epoch (graph building, compilation) and then
``--epochs`` timed epochs; tokens/s is input positions (padding included) per second of training
over the timed epochs. Results are written as JSON so that runs on several machines and backends
can be compared. This is a benchmark, not a test: nothing here asserts a speed.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import numpy as np

from rnnbook.config import environment_report, set_seed
from rnnbook.models import build_classifier, build_language_model
from rnnbook.training import compile_for_training


def _measure(model, x, y, *, batch_size: int, epochs: int) -> dict:
    model.fit(x, y, batch_size=batch_size, epochs=1, verbose=0)  # warm-up: build and compile
    start = time.perf_counter()
    model.fit(x, y, batch_size=batch_size, epochs=epochs, verbose=0)
    seconds = time.perf_counter() - start
    tokens = x.shape[0] * x.shape[1] * epochs
    return {
        "tokens_per_s": tokens / seconds,
        "seconds": seconds,
        "tokens": tokens,
        "params": model.count_params(),
    }


def lstm_language_model(steps: int, epochs: int) -> dict:
    import keras  # after rnnbook, which keeps TensorFlow's start-up log lines quiet

    batch, length, vocab = 64, 100, 65
    rng = np.random.default_rng(0)
    x = rng.integers(1, vocab, size=(batch * steps, length)).astype("int32")
    y = np.roll(x, -1, axis=1)
    model = build_language_model(vocab, embedding_dim=64, cell="lstm", units=256, num_layers=2)
    compile_for_training(model, keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return {
        "model": "char LM, 2xLSTM(256), emb 64, vocab 65",
        "batch": batch,
        "sequence_length": length,
        **_measure(model, x, y, batch_size=batch, epochs=epochs),
    }


def bilstm_classifier(steps: int, epochs: int) -> dict:
    batch, length, vocab = 64, 200, 20_000
    rng = np.random.default_rng(0)
    lengths = rng.integers(20, length + 1, size=batch * steps)
    x = rng.integers(1, vocab, size=(batch * steps, length)).astype("int32")
    x[np.arange(length)[None, :] >= lengths[:, None]] = 0  # right padding, as in notebook 03
    y = rng.integers(0, 2, size=(batch * steps, 1)).astype("float32")
    model = build_classifier(vocab, embedding_dim=50, cell="lstm", units=64, bidirectional=True)
    compile_for_training(model, "binary_crossentropy", metrics=["accuracy"])
    return {
        "model": "classifier, BiLSTM(64), emb 50, vocab 20k, masked",
        "batch": batch,
        "sequence_length": length,
        **_measure(model, x, y, batch_size=batch, epochs=epochs),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=20, help="batches per epoch")
    parser.add_argument("--epochs", type=int, default=2, help="timed epochs")
    parser.add_argument("--out", type=Path, help="folder for throughput_<backend>_<device>.json")
    args = parser.parse_args()
    set_seed(0)
    report = environment_report()
    results = [
        lstm_language_model(args.steps, args.epochs),
        bilstm_classifier(args.steps, args.epochs),
    ]
    record = {
        "backend": report["backend"],
        "backend_version": report["backend_version"],
        "keras": report["keras"],
        "device": report["device"],
        "machine": platform.machine(),
        "results": results,
    }
    for r in results:
        print(
            f"{report['backend']:10} {report['device']:16} {r['model']:52} "
            f"{r['params']:>10,} params  {r['tokens_per_s']:>10,.0f} tokens/s"
        )
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        device = "gpu" if "CPU" not in report["device"] else "cpu"
        path = args.out / f"throughput_{report['backend']}_{device}.json"
        path.write_text(json.dumps(record, indent=2) + "\n")
        print(f"written to {path}")


if __name__ == "__main__":
    main()
