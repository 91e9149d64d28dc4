"""formocr-train: get MNIST, train, export to ONNX with a card, evaluate."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Annotated, Any, NoReturn

import numpy as np
import typer

from formocr.read.classify import FIRST_LOOK_MIN

app = typer.Typer(
    help="Train, export and evaluate formocr's digit model (needs the 'train' extra).",
    no_args_is_help=True,
    add_completion=False,
)
log = logging.getLogger("formocr.train")

MnistDir = Annotated[
    Path | None,
    typer.Option(
        "--mnist-dir",
        help="Folder with the four MNIST IDX files (default: $FORMOCR_MNIST, then the cache).",
        file_okay=False,
    ),
]
FirstLookMin = Annotated[
    float,
    typer.Option(
        help="An ensemble's first look: a crop its first member reads at this calibrated "
        "confidence or more is not read by the others (0: every crop by the whole ensemble).",
        min=0.0,
        max=1.0,
    ),
]
WritersDir = Annotated[
    Path | None,
    typer.Option(
        help="Folder of mnist_writer_ids.npz (default: $FORMOCR_MNIST_WRITERS, "
        "../shared/data/mnist_writers).",
        file_okay=False,
    ),
]


def _setup_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(message)s",
    )


def _fail(msg: str) -> NoReturn:
    typer.echo(f"formocr-train: {msg}", err=True)
    raise typer.Exit(1)


@app.command()
def download(
    target: Annotated[Path | None, typer.Option(help="Where to put the files.")] = None,
) -> None:
    """Download MNIST from a public mirror and verify its sha256 checksums."""
    from training.data import DataError, download_mnist

    try:
        typer.echo(str(download_mnist(target)))
    except DataError as e:
        _fail(str(e))


@app.command()
def train(
    out: Annotated[Path, typer.Option("-o", "--out", help="Run folder for checkpoints.")] = Path(
        "runs/model"
    ),
    mnist_dir: MnistDir = None,
    download_data: Annotated[
        bool, typer.Option("--download", help="Fetch MNIST first if it is missing.")
    ] = False,
    optdigits: Annotated[
        Path | None,
        typer.Option(help="optdigits-orig.tra to mix in (writers outside MNIST).", dir_okay=False),
    ] = None,
    extra: Annotated[
        list[Path] | None,
        typer.Option(
            help="Your own labelled digits, DIR/<digit>/*.png; repeatable.", file_okay=False
        ),
    ] = None,
    synthetic: Annotated[
        int, typer.Option(help="Mix in this many digits drawn by the project's stroke generator.")
    ] = 0,
    epochs: int = 20,
    seed: int = 0,
    batch_size: int = 128,
    lr: float = 0.05,
    threads: int = 2,
    workers: int = 1,
    init: Annotated[
        Path | None, typer.Option(help="Start from this checkpoint (fine-tuning).", dir_okay=False)
    ] = None,
    finetune: Annotated[
        bool, typer.Option(help="Lighter augmentation, for a short pass after --init.")
    ] = False,
    real_pens: Annotated[
        bool,
        typer.Option(
            help="Augment with what real pens and people do: re-stroke, slant, European "
            "1/7, closed 4, hooked 9, lead-in 0, looped 2, faint pens, a neighbour's piece."
        ),
    ] = False,
    augment: Annotated[
        list[str] | None,
        typer.Option(
            help="Set one augmentation field, NAME=VALUE (e.g. p_shapes=0.2); repeatable. "
            "Applied on top of the recipe the other options choose.",
        ),
    ] = None,
    classes: Annotated[
        int, typer.Option(help="10, or 11 to learn 'not a digit' (class 10).", min=10, max=11)
    ] = 10,
    negatives: Annotated[
        float, typer.Option(help="Share of 'not a digit' crops in each epoch (classes 11).")
    ] = 0.15,
    teacher: Annotated[
        Path | None,
        typer.Option(
            help="ONNX model that vets negatives: a piece it reads as a sure digit is dropped.",
            dir_okay=False,
        ),
    ] = None,
    init_onnx: Annotated[
        Path | None,
        typer.Option(help="Warm start from a member of an exported ONNX model.", dir_okay=False),
    ] = None,
    init_member: Annotated[int, typer.Option(help="Which member of --init-onnx.")] = 0,
    epoch_size: Annotated[
        int, typer.Option(help="Samples per epoch, drawn at random (0: the whole set).")
    ] = 0,
    writers_dir: WritersDir = None,
    verbose: Annotated[bool, typer.Option("-v", "--verbose")] = False,
) -> None:
    """Train one conv-autoencoder; writes OUT/last.pt and OUT/history.json.

    Validation is by writer (training.splits): whole MNIST writers held out.
    """
    _setup_logging(verbose)
    from training.augment import AugmentConfig
    from training.data import DataError, download_mnist, locate_mnist
    from training.train import TrainConfig
    from training.train import train as run

    # Checked first: a mistyped --augment fails before any data is read.
    try:
        recipe = AugmentConfig.with_overrides(
            AugmentConfig.real_pens()
            if real_pens
            else AugmentConfig.finetune()
            if finetune
            else AugmentConfig(),
            augment or (),
        )
    except ValueError as e:
        _fail(str(e))
    try:
        try:
            mnist = locate_mnist(mnist_dir)
        except DataError:
            if not download_data:
                raise
            mnist = download_mnist(mnist_dir)
        cfg = TrainConfig(
            epochs=epochs,
            seed=seed,
            batch_size=batch_size,
            lr=lr,
            threads=threads,
            workers=workers,
            optdigits=str(optdigits) if optdigits else None,
            extra=tuple(str(p) for p in extra or ()),
            synthetic=synthetic,
            init=str(init) if init else None,
            augment=recipe,
            classes=classes,
            negatives=negatives,
            teacher=str(teacher) if teacher else None,
            init_onnx=str(init_onnx) if init_onnx else None,
            init_member=init_member,
            epoch_size=epoch_size,
            writers_dir=str(writers_dir) if writers_dir else None,
        )
        typer.echo(str(run(cfg, out, mnist)))
    except DataError as e:
        _fail(str(e))


@app.command()
def export(
    checkpoints: Annotated[
        list[Path], typer.Argument(help="One checkpoint, or several (ensemble).")
    ],
    out: Annotated[Path, typer.Option("-o", "--out")] = Path("formocr/models/digits.onnx"),
    mnist_dir: MnistDir = None,
    temperature: Annotated[float, typer.Option(help="Confidence calibration.")] = 1.0,
    tta: Annotated[
        bool, typer.Option(help="Average logits over 1-px shifts inside the model (5x cost).")
    ] = False,
    shift_below: Annotated[
        float | None,
        typer.Option(
            help="At run time, read digits under this confidence again with 1-px shifts "
            "and average (a cascade: the shifts' gain at a fraction of their cost)."
        ),
    ] = None,
    fit_temperature: Annotated[
        bool,
        typer.Option(
            help="Fit the temperature on the first checkpoint's validation writers (and its "
            "'not a digit' validation set), never on a headline set; replaces --temperature."
        ),
    ] = False,
    optdigits: Annotated[
        Path | None,
        typer.Option(
            help="optdigits-orig.tra: the card records its held-out third per writer block.",
            dir_okay=False,
        ),
    ] = None,
    first_look_min: FirstLookMin = FIRST_LOOK_MIN,
) -> None:
    """Export to ONNX (checked against torch, atol 1e-4) and write the model card.

    An ensemble's members are also written as files of their own, for the
    runtime's first look (see --first-look-min).

    With MNIST at hand the card also records the headline figures through the
    runtime: MNIST test (per writer, worst first), optdigits' held-out blocks
    with --optdigits, and "not a digit" rates for an 11-class model.
    """
    _setup_logging(False)
    from formocr.read.classify import DigitClassifier
    from training.data import DataError
    from training.evaluate import held_out
    from training.export import ParityError
    from training.export import export as run
    from training.export import fit_temperature as fit
    from training.train import load_checkpoint, validation_data

    def write(temperature: float, metrics: dict[str, Any] | None = None) -> dict[str, Any]:
        try:
            return run(
                checkpoints,
                out,
                temperature=temperature,
                metrics=metrics,
                tta=tta,
                shift_below=shift_below,
                first_look_min=first_look_min or None,
            )
        except ParityError as e:
            _fail(f"{out}: {e}; its card was not written, so formocr will not load it")

    card = write(temperature)
    try:
        if fit_temperature:
            x, y = validation_data(load_checkpoint(checkpoints[0])[1]["train_config"], mnist_dir)  # type: ignore[arg-type]
            temperature = fit(DigitClassifier(out, first_look=False).logits(x), y)
            log.info("temperature %.3f (fit on %d validation crops)", temperature, len(y))
            write(temperature)
        metrics = held_out(DigitClassifier(out), mnist_dir, optdigits)
    except DataError as e:
        log.warning("no MNIST test metrics in the card: %s", e)
    else:
        card = write(temperature, metrics)
    typer.echo(
        json.dumps({k: card[k] for k in ("file", "sha256", "temperature", "metrics")}, indent=2)
    )


@app.command("split-members")
def split_members(
    model: Annotated[Path, typer.Argument(help="An exported ensemble (.onnx, with its card).")],
    first_look_min: FirstLookMin = FIRST_LOOK_MIN,
    mnist_dir: MnistDir = None,
    optdigits: Annotated[
        Path | None, typer.Option(help="optdigits-orig.tra, as for export.", dir_okay=False)
    ] = None,
) -> None:
    """Write an exported ensemble's members beside it as files of their own and
    name them in its card (``first_look``), for a model exported before
    export did so. The ensemble's file is unchanged; the card's metrics are
    measured again through the runtime, which now takes the first look."""
    _setup_logging(False)
    from formocr.read.classify import DigitClassifier
    from formocr.read.onnx_model import card_path, load_card
    from training import export
    from training.data import DataError
    from training.evaluate import held_out

    card = load_card(model)
    probe = np.random.default_rng(0).random((64, 1, 28, 28), dtype=np.float32)
    try:
        card["first_look"] = export.split_members(model, first_look_min, probe)
    except (ValueError, export.ParityError) as e:
        _fail(f"{model}: {e}")
    card_path(model).write_text(json.dumps(card, indent=2) + "\n")
    try:
        card["metrics"] = held_out(DigitClassifier(model), mnist_dir, optdigits)
    except DataError as e:
        log.warning("metrics not measured again: %s", e)
    card_path(model).write_text(json.dumps(card, indent=2) + "\n")
    typer.echo(json.dumps({k: card[k] for k in ("file", "first_look", "metrics")}, indent=2))


@app.command()
def reexport(
    model: Annotated[Path, typer.Argument(help="An exported digit model (.onnx, with its card).")],
    mnist_dir: MnistDir = None,
    optdigits: Annotated[
        Path | None, typer.Option(help="optdigits-orig.tra, as for export.", dir_okay=False)
    ] = None,
) -> None:
    """Write an exported digit model again in the current export form, from its
    own weights: the same function (logits within 1e-4 of the old file's, or
    nothing is written) in a graph onnxruntime runs faster. Its members and
    card are written again; the card's metrics are measured again through the
    runtime where MNIST is at hand."""
    _setup_logging(False)
    from formocr.errors import ModelError
    from formocr.read.classify import DigitClassifier
    from formocr.read.onnx_model import card_path
    from training import export
    from training.data import DataError
    from training.evaluate import held_out

    try:
        card = export.reexport(model)
    except ModelError as e:
        _fail(str(e))
    except (ValueError, KeyError, export.ParityError) as e:
        _fail(f"{model}: {e}")
    try:
        card["metrics"] = held_out(DigitClassifier(model), mnist_dir, optdigits)
    except DataError as e:
        log.warning("metrics not measured again: %s", e)
    card_path(model).write_text(json.dumps(card, indent=2) + "\n")
    keys = ("file", "sha256", "parity_max_abs_err", "logits_moved", "metrics")
    typer.echo(json.dumps({k: card[k] for k in keys}, indent=2))


@app.command()
def evaluate(
    model: Annotated[
        Path | None, typer.Option(help="ONNX model (default: the shipped one).")
    ] = None,
    mnist_dir: MnistDir = None,
    folder: Annotated[
        list[Path] | None,
        typer.Option(help="Labelled digits DIR/<digit>/*.png instead of MNIST test; repeatable."),
    ] = None,
    optdigits: Annotated[Path | None, typer.Option(dir_okay=False)] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Accuracy, per-class precision/recall/F1 and the confusion matrix."""
    from formocr.read.classify import DigitClassifier
    from training.data import DataError, load_folder, load_mnist, load_optdigits
    from training.evaluate import evaluate as run
    from training.evaluate import format_report

    try:
        sets = [load_folder(f) for f in folder or ()]
        if optdigits:
            sets.append(load_optdigits(optdigits))
        if not sets:
            sets = [load_mnist("test", mnist_dir)]
    except DataError as e:
        _fail(str(e))
    clf = DigitClassifier(model)
    reports = [run(clf, s)[0] for s in sets]
    if as_json:
        typer.echo(json.dumps([r.to_dict() for r in reports], indent=2))
    else:
        typer.echo("\n\n".join(format_report(r) for r in reports))


@app.command("train-ctc")
def train_ctc(
    out: Annotated[Path, typer.Option("-o", "--out", help="Run folder for checkpoints.")] = Path(
        "runs/ctc"
    ),
    mnist_dir: MnistDir = None,
    writers_dir: WritersDir = None,
    optdigits: Annotated[
        Path | None,
        typer.Option(help="optdigits-orig.tra: its first 2/3 joins the writers.", dir_okay=False),
    ] = None,
    epochs: int = 12,
    samples: Annotated[int, typer.Option(help="Fresh strings per epoch.")] = 8000,
    batch_size: int = 48,
    lr: float = 2e-3,
    seed: int = 0,
    val_size: int = 1000,
    synthetic_share: Annotated[
        float, typer.Option(help="Share of strings drawn by the project's stroke generator.")
    ] = 0.15,
    workers: Annotated[int, typer.Option(help="Processes generating strings.")] = 1,
    minutes: Annotated[
        float,
        typer.Option(
            help="Time budget: the schedule follows elapsed time and stops there (0: none)."
        ),
    ] = 0.0,
    init: Annotated[
        Path | None,
        typer.Option(help="A checkpoint (OUT/best.pt of a run) to continue training from."),
    ] = None,
    init_onnx: Annotated[
        Path | None,
        typer.Option(
            help="An exported string model (formocr/models/strings.onnx) to train on from: "
            "fine-tune the shipped reader on your own writers.",
            dir_okay=False,
        ),
    ] = None,
    cursive: Annotated[
        float,
        typer.Option(
            help="Share of training strings by cursive writers, who join digits where the "
            "pen runs on (zeros top to top); validation strings stay as they are."
        ),
    ] = 0.0,
    device: Annotated[
        str,
        typer.Option(help="Where the network trains: cpu, or cuda where torch sees a GPU."),
    ] = "cpu",
    channels: Annotated[
        str | None,
        typer.Option(
            help="A new network's four conv widths, e.g. 32,64,96,128 (default 24,48,64,96); "
            "not with --init or --init-onnx."
        ),
    ] = None,
    hidden: Annotated[
        int | None,
        typer.Option(help="A new network's GRU units per direction (default 64)."),
    ] = None,
    verbose: Annotated[bool, typer.Option("-v", "--verbose")] = False,
) -> None:
    """Train the segmentation-free string reader (CRNN + CTC) on strings composed
    from real digits, one writer per string; writes OUT/best.pt and OUT/last.pt."""
    _setup_logging(verbose)
    if init is not None and init_onnx is not None:
        raise typer.BadParameter("give --init or --init-onnx, not both", param_hint="'--init-onnx'")
    if (channels or hidden) and (init is not None or init_onnx is not None):
        raise typer.BadParameter(
            "--channels and --hidden shape a new network; --init/--init-onnx bring their own",
            param_hint="'--channels'",
        )
    from dataclasses import replace

    from training.ctc.model import CRNNConfig
    from training.ctc.train import CTCTrainConfig
    from training.ctc.train import train as run
    from training.data import DataError, locate_mnist
    from training.splits import SplitError

    model_cfg = CRNNConfig()
    try:
        if channels:
            widths = tuple(int(c) for c in channels.split(","))
            if len(widths) != 4 or min(widths) < 1:
                raise ValueError
            model_cfg = replace(model_cfg, channels=widths)
    except ValueError:
        raise typer.BadParameter(
            f"expected four positive widths, e.g. 32,64,96,128; got {channels!r}",
            param_hint="'--channels'",
        ) from None
    if hidden is not None:
        if hidden < 1:
            raise typer.BadParameter("must be positive", param_hint="'--hidden'")
        model_cfg = replace(model_cfg, hidden=hidden)
    if device != "cpu":
        import torch

        try:
            torch.zeros(1, device=device)
        except (RuntimeError, AssertionError) as e:
            raise typer.BadParameter(
                f"torch cannot use {device!r}: {e}", param_hint="'--device'"
            ) from None
    try:
        mnist = locate_mnist(mnist_dir)
        cfg = CTCTrainConfig(
            epochs=epochs,
            samples=samples,
            batch_size=batch_size,
            lr=lr,
            seed=seed,
            val_size=val_size,
            synthetic_share=synthetic_share,
            workers=workers,
            minutes=minutes,
            init=str(init) if init else None,
            init_onnx=str(init_onnx) if init_onnx else None,
            cursive=cursive,
            mnist_dir=str(mnist),
            writers_dir=str(writers_dir) if writers_dir else None,
            optdigits=str(optdigits) if optdigits else None,
            device=device,
        )
        typer.echo(str(run(cfg, out, model_cfg=model_cfg)))
    except (DataError, SplitError) as e:
        _fail(str(e))


@app.command("export-ctc")
def export_ctc(
    checkpoint: Annotated[Path, typer.Argument(help="A train-ctc checkpoint.", dir_okay=False)],
    out: Annotated[Path, typer.Option("-o", "--out")] = Path("formocr/models/strings.onnx"),
    headline: Annotated[
        int,
        typer.Option(help="Strings by MNIST test writers to measure once for the card (0: none)."),
    ] = 1000,
    training_command: Annotated[
        str | None, typer.Option(help="The command that trained the checkpoint, for the card.")
    ] = None,
) -> None:
    """Export the string reader to ONNX (checked against torch, atol 1e-4) with its card.

    The card's headline figure reads strings by MNIST test writers through the
    runtime (formocr.read.ctc); they are never trained or tuned on.
    """
    _setup_logging(False)
    from training.ctc.export import export as run

    card = run(checkpoint, out, command=training_command)
    if headline:
        from training.ctc.evaluate import headline_metrics

        try:
            metrics = headline_metrics(out, card, headline)
        except Exception as e:  # no MNIST or writer ids: the card keeps validation figures
            log.warning("no headline metrics in the card: %s", e)
        else:
            card = run(checkpoint, out, metrics=metrics, command=training_command)
    typer.echo(json.dumps({k: card[k] for k in ("file", "sha256", "metrics")}, indent=2))


@app.command()
def verifier(
    out: Annotated[
        Path, typer.Option("-o", "--out", help="The ONNX file; its card beside it.")
    ] = Path("formocr/models/verifier.onnx"),
    mnist_dir: MnistDir = None,
    optdigits: Annotated[
        Path | None,
        typer.Option(
            help="optdigits-orig.tra: its training blocks write every third page.", dir_okay=False
        ),
    ] = None,
    pages: Annotated[
        int, typer.Option(help="Pages of training writers' strings to learn from.", min=1)
    ] = 800,
    val_pages: Annotated[
        int, typer.Option(help="Pages of validation writers' strings, to choose the epoch.", min=1)
    ] = 100,
    epochs: Annotated[int, typer.Option(min=1)] = 20,
    seed: int = 720_000,
    workers: Annotated[int, typer.Option(help="Processes making the pages.", min=1)] = 2,
    threads: Annotated[int, typer.Option(help="torch's threads.", min=1)] = 2,
    joined: Annotated[
        float,
        typer.Option(
            help="Share of neighbouring digits the pages' writers join with a pen stroke "
            "(cursive: zeros top to top, a 2 from its foot).",
            min=0.0,
            max=1.0,
        ),
    ] = 0.0,
    verbose: Annotated[bool, typer.Option("-v", "--verbose")] = False,
) -> None:
    """Train the digit verifier (is a lattice candidate one digit at all?) on the
    lattice's own candidates from pages written by MNIST's training writers, and
    export it to ONNX with its card (training.verifier)."""
    _setup_logging(verbose)
    from training.data import DataError, locate_mnist
    from training.export import ParityError
    from training.splits import SplitError
    from training.verifier import VerifierConfig, export, make_data, train

    try:
        mnist = locate_mnist(mnist_dir)
        cfg = VerifierConfig(
            pages=pages,
            val_pages=val_pages,
            seed=seed,
            epochs=epochs,
            workers=workers,
            threads=threads,
            optdigits=str(optdigits) if optdigits else None,
            joined=joined,
        )
        tr, val = make_data(cfg, mnist)
        model, info = train(cfg, tr, val, mnist)
        card = export(model, info, out)
    except (DataError, SplitError, ParityError) as e:
        _fail(str(e))
    typer.echo(json.dumps({k: card[k] for k in ("file", "sha256", "metrics")}, indent=2))


@app.command()
def quantize(
    out: Annotated[Path, typer.Option("-o", "--out", help="The int8 model (.onnx).")],
    model: Annotated[
        Path | None, typer.Option(help="Float ONNX model (default: the shipped one).")
    ] = None,
    mnist_dir: MnistDir = None,
    calibration: Annotated[
        int, typer.Option(help="MNIST training digits to calibrate on.", min=1)
    ] = 2000,
    seed: Annotated[int, typer.Option(help="Which training digits.")] = 0,
    reduce_range: Annotated[bool, typer.Option(help="7-bit weights (safer without VNNI).")] = True,
) -> None:
    """Static int8 (QDQ) quantisation of a digit model, calibrated on MNIST training
    digits, with its card; the card's metrics are MNIST test through the runtime."""
    _setup_logging(False)
    from formocr.read.classify import DigitClassifier, default_model_path
    from training.data import DataError
    from training.evaluate import held_out
    from training.quantize import calibration_digits
    from training.quantize import quantize as run

    src = model or default_model_path()
    try:
        x = calibration_digits(calibration, seed, mnist_dir)
    except DataError as e:
        _fail(str(e))
    info = {"source": "mnist-train", "n": len(x), "seed": seed}
    card = run(src, out, x, reduce_range=reduce_range, calibration_info=info)
    card["metrics"] = held_out(DigitClassifier(out), mnist_dir)
    out.with_suffix(".json").write_text(json.dumps(card, indent=2) + "\n")
    typer.echo(json.dumps({k: card[k] for k in ("file", "sha256", "metrics")}, indent=2))


def main() -> None:
    app()


if __name__ == "__main__":
    main()
