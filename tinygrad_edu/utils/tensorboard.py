"""TensorBoard logging is not part of tinygrad_edu: importing this module says so, in one line."""

raise ImportError(
    "tinygrad_edu.utils.tensorboard: TensorBoard logging (SummaryWriter) is not part of tinygrad_edu; "
    "remove the SummaryWriter lines or log with print()",
    name="tinygrad_edu.utils.tensorboard",
)
