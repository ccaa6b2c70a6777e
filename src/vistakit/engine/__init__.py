"""Training: one readable loop for any ``nn.Module``, any Dataset and any task.

>>> from vistakit.engine import TrainConfig, fit
>>> result = fit(model, train_set, val_set, TrainConfig(epochs=5, lr=3e-3), run_dir="runs/a")
>>> result.history[-1]["val_accuracy"]
>>> fit(detector, SampleDataset(samples), None, cfg, task="detection")

A task object (:mod:`vistakit.engine.tasks`: ``classification``, ``detection``,
``instance_segmentation``, ``keypoints``, ``semantic_segmentation``) owns what differs
between tasks: batching, the loss (or the model's loss dict), predictions, metrics.

:func:`fit` is configured by one :class:`TrainConfig` (AdamW or Nesterov SGD,
cosine / one-cycle schedules with warm-up, label smoothing, MixUp / CutMix,
EMA, gradient clipping and accumulation, early stopping, flip TTA,
channels_last, ``torch.compile``, bf16 / fp16 autocast, deterministic seeds, a
first convolution initialised to whiten the data: :func:`whiten_conv_`),
writes ``metrics.jsonl``, ``checkpoint.pt`` and ``best.pt`` atomically, resumes
exactly, and runs under ``torchrun`` with DistributedDataParallel.
:func:`fit_ensemble` trains several networks from their own seeds, one after another,
and returns an :class:`Ensemble` that averages their probabilities.
:func:`train_run` is what ``vistakit train`` does: names in, a run folder with a
report out; every run folder is written by one :class:`RunDir`. :func:`finetune`
transfers a (pretrained) classifier to new classes: a :class:`FinetuneConfig` becomes
a plan of phases (:func:`plan_phases`: head with the backbone frozen, then
discriminative unfreezing), or a linear probe;
:func:`compare_label_budgets` measures accuracy against labelled images per class
(:func:`available_pretrained`: which published weights are on this machine); the
experiments built on it live in ``benchmarks/``.
"""

from ._augment import BatchPipeline, build_augment
from ._checkpoint import load_training_checkpoint
from ._compare import Comparison, Method, available_pretrained, compare_label_budgets
from ._config import TrainConfig
from ._data import BatchPrep, Loader, channel_stats, dataset_tensors
from ._distributed import DistInfo, init_distributed
from ._ema import EMA
from ._ensemble import Ensemble, fit_ensemble
from ._finetune import FinetuneConfig, FinetuneResult, Phase, finetune, finetune_run, plan_phases
from ._loop import (
    EvalResult,
    TrainingDiverged,
    TrainResult,
    build_optimizer,
    evaluate,
    evaluate_as_trained,
    fit,
    resolve_amp,
    train_step,
)
from ._lr_find import LRFindResult, lr_find
from ._prepared import PreparedData, labelled_subset
from ._recipes import get_recipe, list_recipes
from ._run import lr_find_run, train_run
from ._rundir import RunDir, RunDirError, prepare_run_dir, save_atomic
from ._schedule import lr_factor
from ._whiten import first_conv, patch_whitening_filters, whiten_conv_
from .tasks import (
    ClassificationTask,
    DetectionTask,
    InstanceSegmentationTask,
    KeypointTask,
    SemanticSegmentationTask,
    Task,
    get_task,
    list_tasks,
    register_task,
)

__all__ = [
    "ClassificationTask",
    "DetectionTask",
    "InstanceSegmentationTask",
    "KeypointTask",
    "SemanticSegmentationTask",
    "Task",
    "get_task",
    "list_tasks",
    "register_task",
    "train_step",
    "resolve_amp",
    "evaluate_as_trained",
    "lr_find_run",
    "Comparison",
    "FinetuneConfig",
    "FinetuneResult",
    "Method",
    "EMA",
    "Ensemble",
    "BatchPipeline",
    "BatchPrep",
    "DistInfo",
    "EvalResult",
    "LRFindResult",
    "Loader",
    "Phase",
    "PreparedData",
    "RunDir",
    "RunDirError",
    "TrainConfig",
    "TrainResult",
    "TrainingDiverged",
    "available_pretrained",
    "build_augment",
    "build_optimizer",
    "channel_stats",
    "compare_label_budgets",
    "dataset_tensors",
    "evaluate",
    "finetune",
    "finetune_run",
    "first_conv",
    "fit",
    "fit_ensemble",
    "get_recipe",
    "init_distributed",
    "labelled_subset",
    "list_recipes",
    "load_training_checkpoint",
    "lr_factor",
    "lr_find",
    "patch_whitening_filters",
    "plan_phases",
    "prepare_run_dir",
    "save_atomic",
    "train_run",
    "whiten_conv_",
]
