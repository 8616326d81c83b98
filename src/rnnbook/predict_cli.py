"""``rnnbook predict entities``: the command-line side of :mod:`rnnbook.predict_entities`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

ENTITIES_HELP = """output:
  text (default): one line per entity, tab-separated:
      INDEX  TYPE  START  END  SURFACE
  INDEX is the 1-based number of the text (argument or stdin line), START:END the character
  span of the entity in that text. Texts without entities print nothing.
  conll: reads a CoNLL file (one token per line in the first column, blank line between
  sentences, -DOCSTART- lines kept) from --input or stdin, and writes every line back with
  the predicted tag appended as the last column (score it with any CoNLL evaluator).

examples:
  rnnbook predict entities --model artifacts/04_ner_tagging "Angela Merkel visited Paris."
  rnnbook predict entities --model artifacts/04_ner_tagging < news.txt
  rnnbook predict entities --model artifacts/04_ner_tagging --format conll --input test.txt
"""


def add_entities_parser(predict_sub: Any) -> None:
    """Add the `entities` task to `rnnbook predict`."""
    entities = predict_sub.add_parser(
        "entities", help="tag named entities with a model saved by notebook 04",
        epilog=ENTITIES_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    entities.add_argument("--model", required=True, help="folder written by save_entity_tagger")
    entities.add_argument("--format", choices=("text", "conll"), default="text",
                          help="input and output format (default: text)")
    entities.add_argument("--input", default="-",
                          help="file to read instead of stdin (either format); '-' = stdin")
    entities.add_argument("--batch-size", type=int, default=256,
                          help="sentences per model call (default 256)")
    entities.add_argument("text", nargs="*", help="text(s) to tag (text format); stdin lines "
                          "(or --input) if none")
    entities.set_defaults(func=cmd_predict_entities)


def cmd_predict_entities(args: argparse.Namespace) -> int:
    """Run `rnnbook predict entities`."""
    from rnnbook.predict_entities import (
        iter_lines,
        load_entity_tagger,
        write_conll_predictions,
        write_text_entities,
    )

    if args.batch_size < 1:
        raise ValueError(f"--batch-size must be >= 1, got {args.batch_size}")
    if args.text and (args.format == "conll" or args.input != "-"):
        raise ValueError("TEXT arguments go with the text format and no --input; a CoNLL file "
                         "is read from --input or stdin")
    if args.input != "-" and not Path(args.input).is_file():
        raise ValueError(f"--input {args.input}: no such file")
    tagger = load_entity_tagger(Path(args.model), batch_size=args.batch_size)
    if args.text:
        write_text_entities(tagger, enumerate(args.text, start=1), sys.stdout)
        return 0
    source = "stdin" if args.input == "-" else args.input
    with (open(args.input, "rb") if args.input != "-" else _stdin_bytes()) as stream:
        lines = iter_lines(stream, source)
        if args.format == "conll":
            write_conll_predictions(tagger, lines, source, sys.stdout)
        else:
            write_text_entities(tagger, lines, sys.stdout)
    return 0


class _stdin_bytes:  # noqa: N801 - used like open()
    """`sys.stdin` as bytes in a `with` block that does not close it."""

    def __enter__(self) -> Any:
        return getattr(sys.stdin, "buffer", None) or (
            line.encode("utf-8") for line in sys.stdin)

    def __exit__(self, *exc: Any) -> None:
        return None
