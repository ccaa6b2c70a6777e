"""Every data test gets its own empty cache and no network."""

from __future__ import annotations

import urllib.error
import urllib.request

import pytest


@pytest.fixture(autouse=True)
def data_cache(tmp_path, monkeypatch):
    """``$VISTAKIT_DATA`` points at a fresh temporary folder; only file:// URLs open."""
    cache = tmp_path / "vistakit-cache"
    monkeypatch.setenv("VISTAKIT_DATA", str(cache))
    monkeypatch.setenv("VISTAKIT_HOME", str(tmp_path / "vistakit-home"))
    real_urlopen = urllib.request.urlopen

    def offline_urlopen(url, *args, **kwargs):
        target = url if isinstance(url, str) else url.full_url
        if not target.startswith("file:"):
            raise urllib.error.URLError(f"tests are offline (refused {target})")
        return real_urlopen(url, *args, **kwargs)

    monkeypatch.setattr(urllib.request, "urlopen", offline_urlopen)
    return cache
