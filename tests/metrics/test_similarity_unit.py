"""Row normalisation of the exact cosine search: bad values rejected, huge finite values handled."""

import numpy as np
import pytest

from vistakit.metrics._similarity import _unit, cosine_knn


def test_unit_rows_match_numpy_and_zero_rows_stay_zero():
    x = np.array([[3.0, 4.0], [0.0, 0.0], [3e30, -4e30]], np.float32)  # 3e30**2 overflows float32
    u = _unit(x, "x").numpy()
    np.testing.assert_allclose(u, [[0.6, 0.8], [0, 0], [0.6, -0.8]], rtol=1e-6)
    r = np.random.default_rng(0).normal(size=(100, 7)).astype(np.float32)
    np.testing.assert_allclose(_unit(r, "r").numpy(), r / np.linalg.norm(r, axis=1, keepdims=True), rtol=1e-6)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_values_are_rejected(bad):
    db = np.ones((5, 3), np.float32)
    db[3, 1] = bad
    with pytest.raises(ValueError, match="database: embeddings contain NaN or infinity"):
        cosine_knn(np.ones((1, 3)), db)
