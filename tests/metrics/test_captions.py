"""Caption scores equal to pycocoevalcap's Bleu, Rouge and Cider on the same tokenized captions."""

import math

import numpy as np
import pytest

from vistakit.metrics import bleu, caption_scores, cider_d, rouge_l, tokenize_caption

coco_bleu = pytest.importorskip("pycocoevalcap.bleu.bleu")
coco_rouge = pytest.importorskip("pycocoevalcap.rouge.rouge")
coco_cider = pytest.importorskip("pycocoevalcap.cider.cider")

VOCAB = "a an the man woman dog cat sits on red blue table street grass with ball runs near two of".split()


def random_captions(rng, n_images):
    """Tokenized captions from a small vocabulary (so n-grams repeat), with repeated words and short captions."""

    def sentence(lo=1, hi=12):
        return " ".join(rng.choice(VOCAB, int(rng.integers(lo, hi))))

    refs = {i: [sentence() for _ in range(int(rng.integers(1, 6)))] for i in range(n_images)}
    # candidates: some copy a reference, some are reference words reshuffled, some are random
    res = {}
    for i, r in refs.items():
        kind = rng.integers(3)
        if kind == 0:
            res[i] = [r[0]]
        elif kind == 1:
            words = " ".join(r).split()
            res[i] = [" ".join(rng.permutation(words)[: int(rng.integers(1, len(words) + 1))])]
        else:
            res[i] = [sentence()]
    return refs, res


def test_equal_to_pycocoevalcap_on_random_captions():
    rng = np.random.default_rng(0)
    for _trial in range(30):
        refs, res = random_captions(rng, int(rng.integers(2, 12)))
        expected_bleu, _ = coco_bleu.Bleu(4).compute_score(refs, res, verbose=0)
        # the same operations in the same order: equal to the last bit
        assert bleu(refs, res) == expected_bleu
        expected_rouge, _ = coco_rouge.Rouge().compute_score(refs, res)
        assert rouge_l(refs, res) == expected_rouge
        expected_cider, _ = coco_cider.Cider().compute_score(refs, res)
        assert cider_d(refs, res) == expected_cider
        assert 0 < expected_cider and 0 < expected_bleu[3]


def test_caption_scores_names_and_values():
    rng = np.random.default_rng(1)
    refs, res = random_captions(rng, 5)
    scores = caption_scores(refs, {k: v[0] for k, v in res.items()})  # a bare string is a candidate too
    assert list(scores) == ["Bleu_1", "Bleu_2", "Bleu_3", "Bleu_4", "ROUGE_L", "CIDEr"]
    assert scores["CIDEr"] == cider_d(refs, res)
    assert "CIDEr" not in caption_scores({0: ["a dog"]}, {0: ["a dog"]})


def test_by_hand():
    refs = {1: ["a dog runs on the grass"], 2: ["a cat sits on a table"]}
    assert bleu(refs, {1: ["a dog runs on the grass"], 2: ["a cat sits on a table"]}) == pytest.approx([1.0] * 4)
    assert rouge_l(refs, {1: ["a dog runs on the grass"], 2: ["a cat sits on a table"]}) == pytest.approx(1.0)
    # ROUGE-L of "a dog" against "a dog runs on the grass": P = 1, R = 2/6, beta 1.2
    p, r = 1.0, 2 / 6
    f = (1 + 1.44) * p * r / (r + 1.44 * p)
    assert rouge_l(refs, {1: ["a dog"], 2: ["a cat sits on a table"]}) == pytest.approx((f + 1) / 2)
    # BLEU-1 of a 2-word candidate: precision 1, brevity penalty exp(1 - 12/8) over the corpus
    b1 = bleu(refs, {1: ["a dog"], 2: ["a cat sits on a table"]}, n=1)[0]
    assert b1 == pytest.approx(math.exp(1 - 12 / 8))
    assert bleu(refs, {1: [""], 2: [""]}) == pytest.approx([0.0] * 4, abs=1e-12)


def test_tokenizer():
    assert tokenize_caption("A man, riding a Horse!  On the beach.") == "a man riding a horse on the beach"
    with pytest.raises(ValueError, match="string"):
        tokenize_caption(3)


def test_errors():
    with pytest.raises(ValueError, match="same image ids"):
        bleu({1: ["a"]}, {2: ["a"]})
    with pytest.raises(ValueError, match="one candidate caption, got 2"):
        rouge_l({1: ["a"]}, {1: ["a", "b"]})
    with pytest.raises(ValueError, match="non-empty list of reference"):
        bleu({1: []}, {1: ["a"]})
    with pytest.raises(ValueError, match="at least two images"):
        cider_d({1: ["a"]}, {1: ["a"]})
    with pytest.raises(ValueError, match="empty"):
        bleu({}, {})
