"""``rnnbook predict translate``: Spanish → English with a model saved by notebook 05.

With TEXT arguments each one is translated; without, every stdin line is, in batches, and one
output line is printed per input line (so outputs stay aligned with inputs). A line that cannot
be translated (empty, or longer than the model reads) gets an empty output line and a message
on stderr naming its line number; the exit status is then 1.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Iterator
from itertools import islice

__all__ = ["add_parser", "cmd_translate"]


def add_parser(predict_sub: argparse._SubParsersAction) -> None:
    """Add ``translate`` to the ``rnnbook predict`` sub-commands."""
    p = predict_sub.add_parser(
        "translate", help="translate Spanish to English with a model saved by notebook 05",
        description="Translate Spanish sentences; with no TEXT, translate stdin line by line.")
    p.add_argument("--model", required=True, help="folder written by save_translator")
    p.add_argument("--beam", type=int, default=1, metavar="K",
                   help="beam width (1 = greedy decoding, the default)")
    p.add_argument("--alpha", type=float, default=0.6,
                   help="length normalisation of beam search (0 = off; default 0.6)")
    p.add_argument("--batch-size", type=int, default=128, help="sentences per batch")
    p.add_argument("text", nargs="*", help="sentence(s) to translate; stdin lines if none")
    p.set_defaults(func=cmd_translate)


def _batches(lines: Iterable[str], size: int) -> Iterator[list[str]]:
    it = iter(lines)
    while batch := list(islice(it, size)):
        yield batch


def cmd_translate(args: argparse.Namespace) -> int:
    from rnnbook.translation import load_translator

    for name, value in (("--beam", args.beam), ("--batch-size", args.batch_size)):
        if value < 1:
            print(f"rnnbook predict translate: {name} must be >= 1, got {value}", file=sys.stderr)
            return 2
    if args.alpha < 0:
        print(f"rnnbook predict translate: --alpha must be >= 0, got {args.alpha}",
              file=sys.stderr)
        return 2
    translator = load_translator(args.model)
    source = "argument" if args.text else "line"
    lines = args.text or (line.rstrip("\r\n") for line in sys.stdin)
    status, number = 0, 0
    for batch in _batches(lines, args.batch_size):
        problems = [translator.problem(text) for text in batch]
        good = [text for text, why in zip(batch, problems, strict=True) if why is None]
        outputs = iter(translator.translate(good, beam_width=args.beam, alpha=args.alpha,
                                            batch_size=args.batch_size) if good else [])
        for why in problems:
            number += 1
            if why is None:
                print(next(outputs))
            else:
                print()
                print(f"rnnbook predict translate: {source} {number}: {why}", file=sys.stderr)
                status = 1
        sys.stdout.flush()
    if number == 0:
        print("rnnbook predict translate: give TEXT arguments or lines on stdin", file=sys.stderr)
        return 2
    return status
