"""embedkit: train, query and evaluate static word embeddings on one machine.

Library entry points: :func:`embedkit.encode.prepare_corpus` (text -> vocabulary + encoded
corpus), :func:`embedkit.models.word2vec.train_word2vec` (skip-gram and CBOW),
:class:`embedkit.vectors.Embeddings` (load/save/query vectors) and :mod:`embedkit.evaluate`.
"""

__version__ = "0.1.0"
