#!/usr/bin/env bash
# `make demo`: train SGNS on real English text, then ask an analogy and evaluate.
# Uses ../shared/data/corpora/enwiki-100m.txt.gz when present, else downloads text8.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p demo
corpus=../shared/data/corpora/enwiki-100m.txt.gz
if [ ! -f "$corpus" ]; then
  corpus=demo/text8
  if [ ! -f "$corpus" ]; then
    echo "shared corpus not found; downloading text8 (31 MB) from mattmahoney.net ..."
    if ! python -c "import urllib.request as u; u.urlretrieve('http://mattmahoney.net/dc/text8.zip', 'demo/text8.zip')"; then
      echo "error: cannot download text8; put a corpus at $corpus or ../shared/data/corpora/enwiki-100m.txt.gz" >&2
      exit 1
    fi
    python -c "import zipfile; zipfile.ZipFile('demo/text8.zip').extractall('demo')"
  fi
fi
# 3 epochs instead of 5 keep the demo to a few minutes on 2 cores (about 45 s per epoch).
echo "training: embedkit train --config configs/sgns.toml --epochs 3 $corpus -o demo/vectors.bin"
embedkit train --config configs/sgns.toml --epochs 3 "$corpus" -o demo/vectors.bin
export EMBEDKIT_VECTORS=demo/vectors.bin
echo; echo "embedkit analogy king man woman -n 5"
embedkit analogy king man woman -n 5
echo; echo "embedkit similar france -n 5"
embedkit similar france -n 5
echo; echo "embedkit evaluate all --data-dir ../shared/data"
embedkit evaluate all --data-dir ../shared/data
