"""`torch.backends` settings that training scripts set (`backends.cuda.matmul.allow_tf32 = True`):
accepted and kept, with no effect, since there is no GPU or cuDNN here."""

from __future__ import annotations

from types import SimpleNamespace

cuda = SimpleNamespace(
    matmul=SimpleNamespace(allow_tf32=False, allow_fp16_reduced_precision_reduction=True),
    is_built=lambda: False,
)
cudnn = SimpleNamespace(
    allow_tf32=True, benchmark=False, deterministic=False, enabled=True, is_available=lambda: False
)
mps = SimpleNamespace(is_available=lambda: False, is_built=lambda: False)
