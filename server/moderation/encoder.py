"""The sentence encoder of tier 2: all-MiniLM-L6-v2 as int8 ONNX, run with onnxruntime.

Out-of-domain text is where word-list and n-gram models fail; a sentence embedding
carries meaning ("I will find where you live") that no term list holds. The ONNX graph
includes mean pooling and L2 normalisation, so one call gives the embedding.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt
import onnxruntime
from tokenizers import Tokenizer

MAX_TOKENS = 128
"""Chat messages are at most 1024 characters; 128 word pieces cover nearly all of them and
keep the worst-case latency bounded."""
DIMENSION = 384


class SentenceEncoder:
    """Embeds texts; one instance per process (an onnxruntime session is thread-safe)."""

    def __init__(
        self,
        model_path: Path,
        tokenizer_path: Path,
        *,
        threads: int = 1,
        max_tokens: int = MAX_TOKENS,
    ) -> None:
        self._tokenizer = Tokenizer.from_file(str(tokenizer_path))
        # The shipped tokenizer.json pads every text to 128 pieces; padding is done here per
        # batch instead, which makes a short message about ten times cheaper.
        self._tokenizer.no_padding()
        self.max_tokens = max_tokens
        self._tokenizer.enable_truncation(max_tokens)
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
        self._session = onnxruntime.InferenceSession(
            str(model_path), options, providers=["CPUExecutionProvider"]
        )

    def embed(
        self, texts: Sequence[str], *, batch_size: int = 64, token_budget: int = 512
    ) -> npt.NDArray[np.float32]:
        """Unit-length embeddings, one row per text, in input order.

        Texts are sorted by length and batched so that a batch holds at most
        ``token_budget`` padded pieces: one long message must not pad sixty short ones to
        its length (that made a mixed batch of 64 seven times slower than one by one).
        """
        out = np.zeros((len(texts), DIMENSION), np.float32)
        if not texts:
            return out
        encodings = self._tokenizer.encode_batch(list(texts))
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        batches: list[list[int]] = [[]]
        for i in order:
            width = len(encodings[i].ids)
            current = batches[-1]
            if current and (
                len(current) >= batch_size or (len(current) + 1) * width > token_budget
            ):
                batches.append([])
            batches[-1].append(i)
        for chunk in batches:
            width = max(len(encodings[i].ids) for i in chunk)
            ids = np.zeros((len(chunk), width), np.int64)
            mask = np.zeros((len(chunk), width), np.int64)
            for row, i in enumerate(chunk):
                tokens = encodings[i].ids
                ids[row, : len(tokens)] = tokens
                mask[row, : len(tokens)] = 1
            result = self._session.run(["embedding"], {"input_ids": ids, "attention_mask": mask})
            out[chunk] = np.asarray(result[0], np.float32)
        return out
