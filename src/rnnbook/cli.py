"""The ``rnnbook`` command line: a thin layer over the library.

rnnbook data list|fetch|verify|path NAME   the datasets (NAME may be ``all``)
rnnbook data stage NAME --to DIR           smallest verified copy, laid out as a mirror
rnnbook run                                execute every notebook, summarise the results
rnnbook exercises [--check]                regenerate the student notebooks
rnnbook exercises --release DIR [--wheel]  the learner's material alone (no solutions)
rnnbook predict sentiment --model DIR TEXT classify reviews with a saved model
rnnbook predict entities --model DIR TEXT  named entities (or --format conll on a CoNLL file)
rnnbook bench [--grid tiny|cpu|full]       Keras recurrent layers vs native PyTorch, tokens/s
rnnbook report                             regenerate docs/results.md from results/*.json
rnnbook predict translate --model DIR TEXT translate Spanish to English (stdin if no TEXT)
rnnbook env                                backend, device and versions
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

EXAMPLES = """examples:
  rnnbook data verify all                 check every dataset file against its sha256
  RNNBOOK_DATA_MIRROR=../shared/datasets rnnbook data fetch imdb
  rnnbook run --profile smoke             every notebook, small and fast
  rnnbook run --samples                   offline: the hand-made sample files (results meaningless)
  rnnbook run --only 02 --backend torch   one notebook on another Keras backend
"""


def _positive_int(text: str) -> int:
    """An argparse type: a whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}")
    return value


def _dataset_names(name: str) -> list[str]:
    from rnnbook.datasets import get_spec, list_datasets

    if name == "all":
        return [spec.name for spec in list_datasets()]
    get_spec(name)  # raises a clear error for an unknown name
    return [name]


def cmd_data(args: argparse.Namespace) -> int:
    from rnnbook import datasets

    if args.action == "list":
        for spec in datasets.list_datasets():
            print(f"{spec.name:16} {spec.title}  [{spec.licence}]")
        return 0
    if not args.name:
        print(f"rnnbook data {args.action}: name a dataset or 'all'", file=sys.stderr)
        return 2
    try:
        names = _dataset_names(args.name)
    except datasets.DatasetError as error:
        print(f"rnnbook data {args.action}: {error}", file=sys.stderr)
        return 2
    if args.action == "stage":
        if not args.to:
            print("rnnbook data stage: give --to FOLDER", file=sys.stderr)
            return 2
        from rnnbook.datasets.stage import stage_datasets

        try:
            staged = stage_datasets(names, Path(args.to))
        except datasets.DatasetError as error:
            print(f"rnnbook data stage: {error}", file=sys.stderr)
            return 1
        for f in staged:
            print(f"{f.dataset:16} {f.form:16} {f.size:>12,} bytes  {f.path}")
        print(f"staged {sum(f.size for f in staged):,} bytes in {len(staged)} files")
        return 0
    status = 0
    for name in names:
        try:
            if args.action == "fetch":
                paths = datasets.fetch(name, progress=True)
                for path in paths.values():
                    print(f"{name}: {path}")
            elif args.action == "path":
                print(datasets.dataset_path(name))
            elif args.action == "verify":
                report = datasets.verify(name)
                print(report.format())
                status |= 0 if report.ok else 1
        except datasets.DatasetError as error:
            print(f"{name}: {error}", file=sys.stderr)
            status = 1
    return status


def cmd_run(args: argparse.Namespace) -> int:
    from rnnbook import workbook
    from rnnbook.backends import BackendError, check_backend, choose_backend
    from rnnbook.config import PROFILES, samples_mode
    from rnnbook.paths import checkout_root

    root = checkout_root() or Path.cwd()
    notebooks = workbook.find_notebooks(root / "notebooks", args.only)
    profile = args.profile or os.environ.get("RNNBOOK_PROFILE") or _default_profile_name()
    if profile not in PROFILES:
        print(f"--profile {profile}: expected one of {', '.join(PROFILES)}", file=sys.stderr)
        return 2
    try:
        backend = (
            check_backend(args.backend, source="--backend") if args.backend else choose_backend()
        )
    except BackendError as error:
        print(error, file=sys.stderr)
        return 2
    out_dir = Path(args.out).resolve()
    variables = {
        "RNNBOOK_PROFILE": profile,
        "KERAS_BACKEND": backend,
        "RNNBOOK_SAMPLES": "1" if args.samples or samples_mode() else "0",
        "RNNBOOK_RESULTS_DIR": str(root / "results" if args.in_place else out_dir / "results"),
        # the numbered notebooks are the solutions: a failing exercise check is an error there
        "RNNBOOK_STRICT_CHECKS": "1",
        # figures must reach the executed notebook even if the caller exported MPLBACKEND=Agg
        "MPLBACKEND": "module://matplotlib_inline.backend_inline",
        # TensorFlow's INFO/WARNING log lines stay out of the kernels' outputs
        "TF_CPP_MIN_LOG_LEVEL": os.environ.get("TF_CPP_MIN_LOG_LEVEL", "2"),
    }
    minutes = PROFILES[profile].minutes_per_notebook * len(notebooks)
    print(
        f"rnnbook run: {len(notebooks)} notebooks, profile {profile}, "
        f"backend {variables['KERAS_BACKEND']}"
        + (", SAMPLE DATA (results meaningless)" if variables["RNNBOOK_SAMPLES"] == "1" else "")
        + f"; the profile budgets about {minutes:.0f} minutes (docs/results.md has measured times)."
    )
    if variables["RNNBOOK_SAMPLES"] != "1":
        os.environ.setdefault("RNNBOOK_SAMPLES", "0")
        problems = workbook.missing_data(workbook.datasets_needed(notebooks))
        if problems:
            print("\nSome data is not available, so the notebooks cannot run:\n", file=sys.stderr)
            print("\n\n".join(problems), file=sys.stderr)
            print(
                "\nFetch it (rnnbook data fetch all), point RNNBOOK_DATA_MIRROR at a copy, or run "
                "`rnnbook run --samples` to see the workbook work on the small hand-made samples.",
                file=sys.stderr,
            )
            return 2
    runs = workbook.run_workbook(
        notebooks, out_dir, variables=variables, in_place=args.in_place, timeout_s=args.timeout,
        jobs=args.jobs, deadline_s=args.deadline,
    )
    return _print_summary(runs, Path(variables["RNNBOOK_RESULTS_DIR"]), out_dir)


def _default_profile_name() -> str:
    from rnnbook.config import active_profile

    return active_profile().name


def _print_summary(runs, results_dir: Path, out_dir: Path) -> int:
    from rnnbook.results import load_results, summary_table

    stems = {run.notebook.stem for run in runs}
    records = (
        [r for r in load_results(results_dir) if r["notebook"] in stems]
        if results_dir.is_dir()
        else []
    )
    table = summary_table(records)
    status_lines = [
        f"- {run.notebook.name}: {'ok' if run.ok else 'FAILED (' + str(run.error) + ')'}, "
        f"{run.wall_time_s:.0f} s, executed copy {run.executed}"
        for run in runs
    ]
    text = "# rnnbook run summary\n\n" + table + "\n\n" + "\n".join(status_lines) + "\n"
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "summary.md").write_text(text, encoding="utf-8")
    print("\n" + text + f"\n(written to {out_dir / 'summary.md'})")
    return 0 if all(run.ok for run in runs) else 1


def cmd_exercises(args: argparse.Namespace) -> int:
    from rnnbook.exercises import generate_student_versions
    from rnnbook.paths import checkout_root

    root = checkout_root() or Path.cwd()
    if args.release:
        from rnnbook.exercises import build_student_release

        written = build_student_release(root, Path(args.release), wheel=args.wheel)
        print(f"student release: {len(written)} files in {args.release} (no solution notebooks)")
        return 0
    changed = generate_student_versions(
        root / "notebooks", root / "notebooks" / "exercises", check=args.check
    )
    verb = "out of date" if args.check else "written"
    for path in changed:
        print(f"{verb}: {path}")
    if args.check and changed:
        print("run `rnnbook exercises` to regenerate them", file=sys.stderr)
        return 1
    if not changed:
        print("student notebooks are up to date")
    return 0


def cmd_predict(args: argparse.Namespace) -> int:
    from rnnbook.predict import predict_sentiment

    texts = args.text or [line.rstrip("\n") for line in sys.stdin if line.strip()]
    if not texts:
        print("rnnbook predict sentiment: give TEXT arguments or lines on stdin", file=sys.stderr)
        return 2
    for text, (label, probability) in zip(
        texts, predict_sentiment(Path(args.model), texts), strict=True
    ):
        print(f"{label}\t{probability:.3f}\t{text}")
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    # OpenMP threads that spin while waiting make PyTorch on a busy CPU 30x slower (measured:
    # 64 ms against 1.8 ms per step of a small LSTM); wait passively, before torch is imported.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    from rnnbook import bench, reports

    if args.fastest:
        rows = [r for path in args.fastest for r in reports.load_bench_rows(Path(path))]
        print(" ".join(bench.fastest_setting(rows)))
        return 0
    shapes, size = bench.GRIDS[args.grid]
    if args.cells:
        shapes = [s for s in shapes if s.cell in args.cells]
    print(f"rnnbook bench: {len(shapes)} rows, grid {args.grid}, units {size.units}, "
          f"{size.warmup} warm-up + {size.repeats} timed steps each, {args.precision}")
    out = Path(args.out)
    earlier = reports.load_bench_rows(out) if args.merge else []

    def save(rows: list[dict]) -> None:  # after every row, so an interrupted run keeps its rows
        reports.write_bench_json(out, bench.merge_rows(earlier, rows))

    rows = bench.run_bench(shapes, size, reference=not args.no_reference,
                           precision=args.precision, on_row=save)
    reports.write_bench_report(
        bench.merge_rows(earlier, rows), out, Path(args.docs) if args.docs else None
    )
    print(f"written: {out}" + (f", {args.docs}/benchmarks.md" if args.docs else ""))
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from rnnbook import reports

    target, count = reports.write_results_doc(Path(args.results), Path(args.docs))
    if not count:
        print(f"rnnbook report: no results files in {args.results}", file=sys.stderr)
        return 2
    print(f"written: {target} ({count} results files)")
    return 0


def cmd_env(args: argparse.Namespace) -> int:
    from rnnbook.config import environment_report, format_report

    print(format_report(environment_report()))
    return 0


def build_parser() -> argparse.ArgumentParser:
    from rnnbook import translate_cli
    from rnnbook.predict_cli import add_entities_parser

    parser = argparse.ArgumentParser(
        prog="rnnbook",
        description="The RNN Workbook: datasets, notebooks and models for recurrent networks.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    data = sub.add_parser(
        "data",
        help="list, fetch, verify or locate datasets",
        description="Datasets resolve cache → mirror (RNNBOOK_DATA_MIRROR) → download; "
        "every file is checked against its sha256.",
    )
    data.add_argument("action", choices=["list", "fetch", "verify", "path", "stage"])
    data.add_argument("name", nargs="?", help="dataset name (see `rnnbook data list`) or 'all'")
    data.add_argument("--to", help="stage: copy the smallest complete form of each dataset into "
                      "TO/<dataset dir>/ (a folder usable as RNNBOOK_DATA_MIRROR)")
    data.set_defaults(func=cmd_data)

    run = sub.add_parser(
        "run",
        help="execute the notebooks in order and summarise their results",
        description="Executes notebooks/NN_*.ipynb headless in order, writes executed copies "
        "and results under --out, and prints one table of every notebook's results and wall time.",
    )
    run.add_argument(
        "--profile",
        choices=["smoke", "cpu", "full"],
        help="sizes: smoke (CI, ~2 min/notebook), cpu (~30 min), full (GPU, ~10 min); "
        "default RNNBOOK_PROFILE, else full with a GPU and cpu without",
    )
    run.add_argument(
        "--backend",
        choices=["tensorflow", "jax", "torch"],
        help="Keras backend (default KERAS_BACKEND, else keras.json, else the first installed "
        "of tensorflow, jax, torch)",
    )
    run.add_argument(
        "--samples",
        action="store_true",
        help="use the hand-made sample files in datasets/samples (offline; results meaningless)",
    )
    run.add_argument(
        "--only",
        nargs="+",
        default=(),
        metavar="NN",
        help="run only notebooks whose names start with these prefixes, e.g. 00 02",
    )
    run.add_argument("--out", default="build", help="folder for executed copies (default build/)")
    run.add_argument(
        "--in-place",
        action="store_true",
        help="replace each notebook that ran without error by its executed copy, and write "
             "results/ (to commit outputs of a real run); a failed one stays in --out",
    )
    run.add_argument("--timeout", type=_positive_int, default=3600, help="seconds allowed per cell")
    run.add_argument("--jobs", type=_positive_int, default=1,
                     help="notebooks run at once, each in its own kernel (default 1: in order)")
    run.add_argument("--deadline", type=_positive_int, default=None, metavar="SECONDS",
                     help="stop the whole run after this long; a notebook still running is "
                          "written as far as it got")
    run.set_defaults(func=cmd_run)

    ex = sub.add_parser("exercises", help="generate student notebooks into notebooks/exercises/")
    ex.add_argument("--check", action="store_true", help="only report stale student notebooks")
    ex.add_argument("--release", metavar="DIR",
                    help="write the learner's material alone (student notebooks, figures, "
                         "install and data instructions) into DIR")
    ex.add_argument("--wheel", action="store_true", help="with --release: add the rnnbook wheel")
    ex.set_defaults(func=cmd_exercises)

    predict = sub.add_parser("predict", help="predict with a saved model")
    predict_sub = predict.add_subparsers(dest="task", required=True, metavar="TASK")
    sentiment = predict_sub.add_parser(
        "sentiment", help="label reviews positive/negative with a model saved by notebook 03"
    )
    sentiment.add_argument("--model", required=True, help="folder written by save_artifacts")
    sentiment.add_argument("text", nargs="*", help="review text(s); read stdin lines if none")
    sentiment.set_defaults(func=cmd_predict)
    add_entities_parser(predict_sub)
    translate_cli.add_parser(predict_sub)

    bench = sub.add_parser(
        "bench", help="training tokens/s of Keras recurrent layers against native torch.nn"
    )
    bench.add_argument(
        "--grid", choices=["tiny", "cpu", "pick", "full"], default="tiny",
        help="tiny: CI smoke (seconds); cpu: T=100, B=64, 24 rows; pick: 2 rows to compare "
        "backends and precisions; full: 48 rows at T=100/B=64 and T=400/B=256 (GPU)",
    )
    bench.add_argument("--fastest", nargs="+", metavar="JSON",
                       help="print the fastest backend and precision in these bench files "
                       "(e.g. 'jax float32'), and run nothing")
    bench.add_argument("--precision", default="float32",
                       choices=["float32", "mixed_float16", "mixed_bfloat16"],
                       help="Keras dtype policy of the models (the torch.nn side autocasts)")
    bench.add_argument("--cells", nargs="+", choices=["simple", "gru", "lstm"],
                       help="only these cells")
    bench.add_argument("--no-reference", action="store_true",
                       help="skip the native PyTorch reference (no torch installed)")
    bench.add_argument("--out", default="results/bench.json", help="rows are written here")
    bench.add_argument("--merge", action="store_true",
                       help="keep rows already in --out for other backends/devices/shapes")
    bench.add_argument("--docs", help="also write DOCS/benchmarks.md and its figure")
    bench.set_defaults(func=cmd_bench)

    report = sub.add_parser("report", help="regenerate docs/results.md from the results files")
    report.add_argument("--results", default="results", help="folder of results/*.json")
    report.add_argument("--docs", default="docs", help="folder for results.md")
    report.set_defaults(func=cmd_report)

    env = sub.add_parser("env", help="print backend, device, versions and profile")
    env.set_defaults(func=cmd_env)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # the command's own TensorFlow, if any
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except ValueError as error:
        print(f"rnnbook: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
