"""Train a multilayer perceptron on the UCI handwritten digits with functrace.

    python examples/train_mlp.py                       # 64-128-10, adam: about 97% in seconds
    python examples/train_mlp.py --hidden 256 128 --optimizer adamw --epochs 40
    python examples/train_mlp.py --no-jit              # the same run, every step traced eagerly

The 1,797 8x8 digits (``examples/data/``) are split once into 1,438 training and 359 held-out
test images. The network is ``functrace.nn.mlp``; one training step is
``value_and_grad`` of the cross-entropy followed by the optimizer's update, compiled with
``functrace.jit`` (when this functrace has it, and unless ``--no-jit``). A progress bar shows the
loss and the accuracies (``tqdm`` if it is installed, a plain one otherwise); with matplotlib
installed, the loss and accuracy curves are saved as a PNG. The last line printed is the test
accuracy, e.g. ``test accuracy: 97.5%``.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import numpy as np
from digits import load_digits, train_test_split

import functrace as ft
from functrace import nn, optim
from functrace.optim import GradientTransformation, OptState

ACTIVATIONS: dict[str, nn.Activation] = {
    "relu": nn.relu, "tanh": nn.tanh, "gelu": nn.gelu, "sigmoid": nn.sigmoid,
    "softplus": nn.softplus,
}
# A good learning rate depends on the optimizer: adaptive ones take steps of about lr per entry.
DEFAULT_LR = {"adam": 3e-3, "adamw": 3e-3, "sgd": 0.1}


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--hidden", type=int, nargs="*", default=[128],
                   help="hidden layer widths; the network is 64-HIDDEN...-10")
    p.add_argument("--epochs", type=int, default=30, help="passes over the training set")
    p.add_argument("--lr", type=float, default=None,
                   help="peak learning rate (cosine-decayed to 0); default: "
                        + ", ".join(f"{k} {v:g}" for k, v in DEFAULT_LR.items()))
    p.add_argument("--batch-size", type=int, default=32, help="examples per step")
    p.add_argument("--seed", type=int, default=0,
                   help="seeds the initial weights and the order of the minibatches "
                        "(the train/test split is fixed)")
    p.add_argument("--optimizer", choices=sorted(DEFAULT_LR), default="adam",
                   help="adam; adamw (weight decay 1e-4); sgd (Nesterov momentum 0.9)")
    p.add_argument("--activation", choices=sorted(ACTIVATIONS), default="relu",
                   help="hidden-layer activation")
    p.add_argument("--no-jit", action="store_true",
                   help="run every step eagerly instead of compiling it with functrace.jit")
    p.add_argument("--plot", default="training_curve.png",
                   help="where to save the curves (needs matplotlib); '' to skip")
    args = p.parse_args(argv)
    if args.epochs < 1 or args.batch_size < 1 or any(h < 1 for h in args.hidden):
        p.error("--epochs, --batch-size and --hidden need positive values")
    return args


def make_optimizer(name: str, lr: float, total_steps: int) -> GradientTransformation:
    """The optimizer, with a learning rate that falls from ``lr`` to 0 along a half cosine."""
    schedule = optim.cosine_decay_schedule(lr, decay_steps=total_steps)
    if name == "adam":
        return optim.adam(schedule)
    if name == "adamw":
        return optim.adamw(schedule, weight_decay=1e-4)
    return optim.sgd(schedule, momentum=0.9, nesterov=True)


class Progress:
    """A progress bar over epochs: tqdm's when installed, else one printed line per epoch."""

    def __init__(self, total: int) -> None:
        try:
            from tqdm import tqdm
        except ImportError:
            self.bar = None
        else:
            self.bar = tqdm(total=total, desc="training", unit="epoch")
        self.total, self.done = total, 0

    def update(self, metrics: dict[str, str]) -> None:
        self.done += 1
        if self.bar is not None:
            self.bar.set_postfix(metrics, refresh=False)
            self.bar.update(1)
            return
        width = 20
        filled = width * self.done // self.total
        bar = "#" * filled + "." * (width - filled)
        shown = "  ".join(f"{k} {v}" for k, v in metrics.items())
        print(f"epoch {self.done:>{len(str(self.total))}}/{self.total} [{bar}]  {shown}",
              flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


class History(NamedTuple):
    """Per-epoch metrics, for the curves."""

    loss: list[float]
    train_accuracy: list[float]
    test_accuracy: list[float]


def save_curves(history: History, path: str) -> bool:
    """Plots loss and accuracies per epoch to ``path``; False when matplotlib is missing."""
    try:
        import matplotlib

        matplotlib.use("Agg")  # draw to a file, no display needed
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    epochs = np.arange(1, len(history.loss) + 1)
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(9, 3.5))
    ax_loss.plot(epochs, history.loss)
    ax_loss.set(xlabel="epoch", ylabel="training loss (cross-entropy)", yscale="log")
    ax_acc.plot(epochs, 100 * np.asarray(history.train_accuracy), label="train (running)")
    ax_acc.plot(epochs, 100 * np.asarray(history.test_accuracy), label="test")
    ax_acc.set(xlabel="epoch", ylabel="accuracy (%)")
    ax_acc.legend()
    fig.suptitle("functrace MLP on the UCI digits")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return True


def main(argv: Sequence[str] | None = None) -> float:
    """Trains and evaluates; returns the test accuracy."""
    args = parse_args(argv)
    start = time.perf_counter()
    x, y = load_digits()
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_fraction=0.2, seed=0)
    sizes = [x.shape[1], *args.hidden, 10]
    activation = ACTIVATIONS[args.activation]
    rng = np.random.default_rng(args.seed)
    params = nn.init_mlp(rng, sizes, init="he" if args.activation == "relu" else "glorot")

    steps_per_epoch = len(x_train) // args.batch_size  # the remainder is left out, so every
    if steps_per_epoch == 0:                           # batch has one shape: jit traces once
        sys.exit(f"--batch-size {args.batch_size} exceeds the {len(x_train)} training examples")
    lr = DEFAULT_LR[args.optimizer] if args.lr is None else args.lr
    opt = make_optimizer(args.optimizer, lr, args.epochs * steps_per_epoch)
    opt_state = opt.init(params)

    def loss_fn(params: nn.Params, xb: np.ndarray, yb: np.ndarray) -> tuple[Any, Any]:
        logits = nn.mlp(params, xb, activation)
        return nn.softmax_cross_entropy(logits, yb), logits

    def train_step(params: nn.Params, opt_state: OptState, xb: np.ndarray, yb: np.ndarray
                   ) -> tuple[nn.Params, OptState, Any, Any]:
        (loss, logits), grads = ft.value_and_grad(loss_fn, has_aux=True)(params, xb, yb)
        updates, opt_state = opt.update(grads, opt_state, params)
        return optim.apply_updates(params, updates), opt_state, loss, nn.accuracy(logits, yb)

    def evaluate(params: nn.Params, xs: np.ndarray, ys: np.ndarray) -> Any:
        return nn.accuracy(nn.mlp(params, xs, activation), ys)

    use_jit = hasattr(ft, "jit") and not args.no_jit
    compile_: Callable[[Callable[..., Any]], Callable[..., Any]] = (
        ft.jit if use_jit else (lambda f: f))  # type: ignore[attr-defined]
    train_step, evaluate = compile_(train_step), compile_(evaluate)
    print(f"MLP {'-'.join(map(str, sizes))} ({args.activation}), {args.optimizer} lr {lr:g}, "
          f"batch {args.batch_size}, {args.epochs} epochs, jit {'on' if use_jit else 'off'}; "
          f"{len(x_train)} training / {len(x_test)} test digits", flush=True)

    history = History([], [], [])
    progress = Progress(args.epochs)
    train_start = time.perf_counter()
    for _ in range(args.epochs):
        order = rng.permutation(len(x_train))
        losses, accuracies = [], []
        for i in range(steps_per_epoch):
            batch = order[i * args.batch_size:(i + 1) * args.batch_size]
            params, opt_state, loss, acc = train_step(params, opt_state, x_train[batch],
                                                      y_train[batch])
            losses.append(float(loss))
            accuracies.append(float(acc))
        history.loss.append(float(np.mean(losses)))
        history.train_accuracy.append(float(np.mean(accuracies)))
        history.test_accuracy.append(float(evaluate(params, x_test, y_test)))
        progress.update({"loss": f"{history.loss[-1]:.4f}",
                         "train": f"{history.train_accuracy[-1]:.1%}",
                         "test": f"{history.test_accuracy[-1]:.1%}"})
    progress.close()
    train_time = time.perf_counter() - train_start

    train_acc = float(evaluate(params, x_train, y_train))
    test_acc = float(evaluate(params, x_test, y_test))
    if args.plot and save_curves(history, args.plot):
        print(f"saved the loss and accuracy curves to {args.plot}")
    print(f"wall time: {time.perf_counter() - start:.1f} s "
          f"({train_time:.1f} s training, {args.epochs * steps_per_epoch} steps)")
    print(f"train accuracy: {train_acc:.1%}")
    print(f"test accuracy: {test_acc:.1%}")
    return test_acc


if __name__ == "__main__":
    main()
