"""Image-caption scores: BLEU-1..4, ROUGE-L and CIDEr-D, equal to the COCO caption evaluation's.

The numbers are those of ``pycocoevalcap`` (the COCO caption evaluation code) on the same
tokenized captions, reproduced operation for operation:

* :func:`bleu`: corpus BLEU (Papineni et al. 2002) over all images: clipped n-gram counts
  summed over the corpus, the geometric mean of the precisions with pycocoevalcap's
  smoothing constants (``+1e-15`` on the matches, ``+1e-9`` on the guesses) and its
  brevity penalty from the "closest" reference length of each candidate (ties to the
  shorter one), summed over the corpus.
* :func:`rouge_l`: per image, the LCS-based F-measure (beta 1.2) against the reference with
  the best LCS precision and recall (taken separately), averaged over the images.
* :func:`cider_d`: CIDEr-D (Vedantam et al. 2015): tf-idf vectors of 1..4-grams with the
  document frequencies of the references of the evaluated set, clipped candidate counts,
  a Gaussian length penalty (sigma 6, on the bigram counts as pycocoevalcap does) and a
  scale of 10, averaged over references and images.

Inputs are *tokenized* captions: strings of space-separated lowercase tokens, as
pycocoevalcap takes them after its PTBTokenizer. :func:`tokenize_caption` is a simple
stand-in for that tokenizer (lowercase, punctuation dropped, split on whitespace); it is
not the Stanford PTB tokenizer, so scores of raw text can differ slightly from the
official pipeline (e.g. on contractions such as "don't").

Edge cases: an empty candidate scores 0 everywhere; CIDEr-D needs at least two images
(its idf is ``log(#images)``, which is 0 for one).
"""

from __future__ import annotations

import json
import math
import re
import string
from collections import defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["bleu", "caption_scores", "cider_d", "read_coco_captions", "rouge_l", "tokenize_caption"]

_PUNCTUATION = re.compile(f"[{re.escape(string.punctuation)}]")


def tokenize_caption(text: str) -> str:
    """Lowercase ``text``, drop ASCII punctuation, and join the whitespace-separated tokens with single spaces.

    A simple approximation of the PTB tokenization of the COCO caption evaluation
    (which also splits contractions and keeps some symbols); documented as such.
    """
    if not isinstance(text, str):
        raise ValueError(f"a caption must be a string, got {text!r:.40}")
    return " ".join(_PUNCTUATION.sub(" ", text.lower()).split())


def _pairs(references: Mapping[Any, Sequence[str]], candidates: Mapping[Any, Any]) -> list[tuple[str, list[str]]]:
    """(candidate, references) per image, in the order of ``references``; validated."""
    if not isinstance(references, Mapping) or not isinstance(candidates, Mapping):
        raise ValueError("references and candidates must be dicts image_id -> captions")
    if set(references) != set(candidates):
        missing = sorted(map(str, set(references) - set(candidates)))[:5]
        extra = sorted(map(str, set(candidates) - set(references)))[:5]
        raise ValueError(
            f"references and candidates must have the same image ids: no candidate for {missing}, "
            f"no references for {extra}"
        )
    if not references:
        raise ValueError("references is empty: caption scores need at least one image")
    out = []
    for key, refs in references.items():
        cand = candidates[key]
        if isinstance(cand, (list, tuple)):
            if len(cand) != 1:
                raise ValueError(f"image {key!r}: expected one candidate caption, got {len(cand)}")
            cand = cand[0]
        if not isinstance(cand, str):
            raise ValueError(f"image {key!r}: the candidate must be a string, got {cand!r:.40}")
        if isinstance(refs, str) or not isinstance(refs, Sequence) or len(refs) == 0:
            raise ValueError(f"image {key!r}: expected a non-empty list of reference captions, got {refs!r:.60}")
        for i, r in enumerate(refs):
            if not isinstance(r, str):
                raise ValueError(f"image {key!r}: reference {i} must be a string, got {r!r:.40}")
        out.append((cand, list(refs)))
    return out


def _ngrams(words: list[str], n: int) -> dict[tuple[str, ...], int]:
    counts: dict[tuple[str, ...], int] = defaultdict(int)
    for k in range(1, n + 1):
        for i in range(len(words) - k + 1):
            counts[tuple(words[i : i + k])] += 1
    return counts


def bleu(references: Mapping[Any, Sequence[str]], candidates: Mapping[Any, Any], *, n: int = 4) -> list[float]:
    """Corpus BLEU-1..n of tokenized captions (pycocoevalcap's ``Bleu(n)``; module notes).

    Args:
        references: image id -> list of reference captions (tokenized, space-separated).
        candidates: image id -> the candidate caption (a string or a one-element list).
        n: the longest n-gram.

    Returns:
        ``[BLEU-1, ..., BLEU-n]``.
    """
    if not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be a positive int, got {n!r}")
    small, tiny = 1e-9, 1e-15
    testlen_total = reflen_total = 0
    guess, correct = [0] * n, [0] * n
    for cand, refs in _pairs(references, candidates):
        words = cand.split()
        testlen = len(words)
        maxcounts: dict[tuple[str, ...], int] = {}
        reflens = []
        for ref in refs:
            ref_words = ref.split()
            reflens.append(len(ref_words))
            for gram, count in _ngrams(ref_words, n).items():
                maxcounts[gram] = max(maxcounts.get(gram, 0), count)
        testlen_total += testlen
        reflen_total += min((abs(length - testlen), length) for length in reflens)[1]
        for k in range(n):
            guess[k] += max(0, testlen - k)
        for gram, count in _ngrams(words, n).items():
            correct[len(gram) - 1] += min(maxcounts.get(gram, 0), count)
    scores = []
    product = 1.0
    for k in range(n):
        product *= float(correct[k] + tiny) / (guess[k] + small)
        scores.append(product ** (1.0 / (k + 1)))
    ratio = (testlen_total + tiny) / (reflen_total + small)
    if ratio < 1:
        scores = [s * math.exp(1 - 1 / ratio) for s in scores]
    return scores


def _lcs(a: list[str], b: list[str]) -> int:
    """Length of the longest common subsequence (dynamic programming, one row at a time)."""
    if len(a) < len(b):
        a, b = b, a
    prev = [0] * (len(b) + 1)
    for x in a:
        cur = [0]
        for j, y in enumerate(b, start=1):
            cur.append(prev[j - 1] + 1 if x == y else max(prev[j], cur[j - 1]))
        prev = cur
    return prev[-1]


def rouge_l(references: Mapping[Any, Sequence[str]], candidates: Mapping[Any, Any], *, beta: float = 1.2) -> float:
    """Mean ROUGE-L F-measure of tokenized captions (pycocoevalcap's ``Rouge``; module notes).

    Tokens are split on single spaces, as pycocoevalcap does.
    """
    scores = []
    for cand, refs in _pairs(references, candidates):
        tokens = cand.split(" ")
        prec, rec = [], []
        for ref in refs:
            ref_tokens = ref.split(" ")
            lcs = _lcs(ref_tokens, tokens)
            prec.append(lcs / float(len(tokens)))
            rec.append(lcs / float(len(ref_tokens)))
        p, r = max(prec), max(rec)
        scores.append(((1 + beta**2) * p * r) / float(r + beta**2 * p) if p != 0 and r != 0 else 0.0)
    return float(np.mean(np.array(scores)))


def cider_d(
    references: Mapping[Any, Sequence[str]], candidates: Mapping[Any, Any], *, n: int = 4, sigma: float = 6.0
) -> float:
    """CIDEr-D of tokenized captions (pycocoevalcap's ``Cider``; module notes).

    Raises:
        ValueError: fewer than two images (the idf of a one-image set is 0).
    """
    pairs = _pairs(references, candidates)
    if len(pairs) < 2:
        raise ValueError("CIDEr-D needs at least two images: its idf, log(#images), is 0 for one")
    cooked = [(_ngrams(c.split(), n), [_ngrams(r.split(), n) for r in refs]) for c, refs in pairs]
    doc_freq: dict[tuple[str, ...], float] = defaultdict(float)
    for _, refs in cooked:
        for gram in {g for ref in refs for g in ref}:
            doc_freq[gram] += 1
    log_images = np.log(float(len(cooked)))

    def vector(counts):
        vec = [{} for _ in range(n)]
        norm = [0.0] * n
        length = 0
        for gram, tf in counts.items():
            df = np.log(max(1.0, doc_freq.get(gram, 0.0)))
            k = len(gram) - 1
            vec[k][gram] = float(tf) * (log_images - df)
            norm[k] += pow(vec[k][gram], 2)
            if k == 1:  # pycocoevalcap's "length" counts bigrams
                length += tf
        return vec, [np.sqrt(v) for v in norm], length

    def similarity(v_hyp, v_ref, n_hyp, n_ref, l_hyp, l_ref):
        delta = float(l_hyp - l_ref)
        val = np.array([0.0] * n)
        for k in range(n):
            for gram in v_hyp[k]:
                ref_value = v_ref[k].get(gram, 0.0)
                val[k] += min(v_hyp[k][gram], ref_value) * ref_value
            if n_hyp[k] != 0 and n_ref[k] != 0:
                val[k] /= n_hyp[k] * n_ref[k]
            val[k] *= np.e ** (-(delta**2) / (2 * sigma**2))
        return val

    scores = []
    for cand, refs in cooked:
        vec, norm, length = vector(cand)
        score = np.array([0.0] * n)
        for ref in refs:
            vec_ref, norm_ref, length_ref = vector(ref)
            score += similarity(vec, vec_ref, norm, norm_ref, length, length_ref)
        avg = np.mean(score)
        avg /= len(refs)
        avg *= 10.0
        scores.append(avg)
    return float(np.mean(np.array(scores)))


def caption_scores(references: Mapping[Any, Sequence[str]], candidates: Mapping[Any, Any]) -> dict[str, float]:
    """BLEU-1..4, ROUGE-L and CIDEr-D under pycocoevalcap's names (``Bleu_1`` .. ``Bleu_4``, ``ROUGE_L``, ``CIDEr``).

    CIDEr is left out (not computed) when there is a single image.
    """
    out = {f"Bleu_{k + 1}": s for k, s in enumerate(bleu(references, candidates, n=4))}
    out["ROUGE_L"] = rouge_l(references, candidates)
    if len(references) >= 2:
        out["CIDEr"] = cider_d(references, candidates)
    return out


def read_coco_captions(gt_json: str | Path, results_json: str | Path) -> tuple[dict, dict]:
    """References and candidates of COCO caption files, tokenized by :func:`tokenize_caption`.

    Args:
        gt_json: COCO captions ground truth: an ``annotations`` list of ``image_id`` and ``caption``.
        results_json: COCO caption results: a list of ``{"image_id", "caption"}``, one per image.

    Returns:
        (references, candidates): image id -> tokenized captions, for the images of the
        results (as COCOEvalCap evaluates the result images).

    Raises:
        ValueError: malformed files, an image with two results, or a result image without
            ground-truth captions (naming the file and image).
    """
    gt_json, results_json = Path(gt_json), Path(results_json)
    data = {}
    for path in (gt_json, results_json):
        try:
            data[path] = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as e:
            raise ValueError(f"{path}: not valid JSON ({e})") from None
    gt, res = data[gt_json], data[results_json]
    if not isinstance(gt, dict) or not isinstance(gt.get("annotations"), list):
        raise ValueError(f"{gt_json}: expected a COCO captions object with an 'annotations' list")
    if isinstance(res, dict) and isinstance(res.get("annotations"), list):
        res = res["annotations"]
    if not isinstance(res, list):
        raise ValueError(f"{results_json}: expected a list of {{'image_id', 'caption'}} results")
    references: dict[Any, list[str]] = defaultdict(list)
    for i, a in enumerate(gt["annotations"]):
        if not isinstance(a, dict) or "image_id" not in a or not isinstance(a.get("caption"), str):
            raise ValueError(f"{gt_json}: annotation {i} needs 'image_id' and a 'caption' string")
        references[a["image_id"]].append(tokenize_caption(a["caption"]))
    candidates: dict[Any, list[str]] = {}
    for i, r in enumerate(res):
        if not isinstance(r, dict) or "image_id" not in r or not isinstance(r.get("caption"), str):
            raise ValueError(f"{results_json}: result {i} needs 'image_id' and a 'caption' string")
        key = r["image_id"]
        if key in candidates:
            raise ValueError(f"{results_json}: image {key!r} has more than one result caption")
        if key not in references:
            raise ValueError(f"{results_json}: image {key!r} has no ground-truth captions in {gt_json}")
        candidates[key] = [tokenize_caption(r["caption"])]
    return {k: references[k] for k in candidates}, candidates
