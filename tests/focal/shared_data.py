"""The focal examples in ../shared/data, and markers that skip without them."""

import pytest

from seisjax import seismo

HASH = seismo.SHARED_DATA / 'focal' / 'hash_v1.2'
SKHASH = seismo.SHARED_DATA / 'focal' / 'skhash_maacama'
KUMAMOTO = seismo.SHARED_DATA / 'picks' / 'kumamoto_hinet'
needs_hash = pytest.mark.skipif(not HASH.is_dir(),
                                reason=f'HASH examples not found at {HASH}')
needs_skhash = pytest.mark.skipif(
    not SKHASH.is_dir(), reason=f'SKHASH maacama not found at {SKHASH}')
needs_kumamoto = pytest.mark.skipif(
    not KUMAMOTO.is_dir(), reason=f'Kumamoto files not found at {KUMAMOTO}')
