"""Features: a model turned into features over images, folders or data sets, with one cache.

>>> from vistakit.features import embed_folder, fid
>>> emb = embed_folder("resnet18", "photos/", weights="imagenet", cache="feature-cache/")
>>> fid("data/real_images", "samples/")

Everything in vistakit that runs a network over images to get features lives here;
the maths on the features (FID, KID, IS from arrays, cosine kNN, near duplicates) is in
:mod:`vistakit.metrics`, which builds no network.

* the pre-logits loop: :func:`extract_features` (``forward_head(..., pre_logits=True)``
  over batches; the linear probe of :func:`vistakit.engine.finetune` uses it too);
* the one cache: :class:`FeatureCache` (rows by item index in one ``.npz``, written
  atomically) under :func:`feature_key` (model + weights + preprocessing + data:
  :func:`files_fingerprint`, :func:`dataset_fingerprint`; :func:`module_fingerprint`
  for weights known only as a module);
* generated images: :func:`fid`, :func:`kid`, :func:`inception_score` and
  :func:`generation_report` over folders, tensors, datasets or pytorch-fid ``.npz``
  statistics, with the TensorFlow FID Inception (``"fid_inception"``, the default) or
  torchvision's Inception v3 (``"inception_v3"``) as :class:`FeatureExtractor`
  (:func:`get_extractor`, :func:`register_extractor`, :func:`list_extractors`);
  folders' features cached (:func:`compute_features`, :func:`save_statistics`);
* perceptual similarity: :func:`perceptual_distance` and the differentiable
  :class:`PerceptualLoss` (channel-normalized VGG16 features);
* search by embedding: :func:`embed_images`, :func:`embed_folder`,
  :func:`embed_dataset` -> :class:`Embeddings` (saved to ``.npz`` / ``.npy``),
  :func:`search_similar`, :func:`write_similar_html`; :func:`dataset_embedder` is the
  embedder the near-duplicate check of :func:`vistakit.data.check_dataset` takes.

This package imports :mod:`vistakit.models`, :mod:`vistakit.data` and
:mod:`vistakit.metrics`, never :mod:`vistakit.engine`.
"""

from ._cache import (
    CachedRows,
    FeatureCache,
    dataset_fingerprint,
    feature_key,
    files_fingerprint,
    key_digest,
    module_fingerprint,
)
from ._embed import (
    RANDOM_INIT_SEED,
    Embeddings,
    Neighbour,
    dataset_embedder,
    embed_dataset,
    embed_folder,
    embed_images,
    embed_query,
    embedding_transform,
    load_embedding_model,
    neighbour_image,
    search_similar,
    write_similar_html,
)
from ._extract import extract_features
from ._generation import (
    FeatureExtractor,
    Features,
    GenerationReport,
    compute_features,
    fid,
    generation_report,
    get_extractor,
    inception_score,
    kid,
    list_extractors,
    register_extractor,
    save_statistics,
)
from ._perceptual import PerceptualLoss, perceptual_distance

__all__ = [
    "RANDOM_INIT_SEED",
    "CachedRows",
    "Embeddings",
    "FeatureCache",
    "FeatureExtractor",
    "Features",
    "GenerationReport",
    "Neighbour",
    "PerceptualLoss",
    "compute_features",
    "dataset_embedder",
    "dataset_fingerprint",
    "embed_dataset",
    "embed_folder",
    "embed_images",
    "embed_query",
    "embedding_transform",
    "extract_features",
    "feature_key",
    "fid",
    "files_fingerprint",
    "generation_report",
    "get_extractor",
    "inception_score",
    "key_digest",
    "kid",
    "list_extractors",
    "load_embedding_model",
    "module_fingerprint",
    "neighbour_image",
    "perceptual_distance",
    "register_extractor",
    "save_statistics",
    "search_similar",
    "write_similar_html",
]
