"""Reading a user's training log: the files and folders that Keras, PyTorch Lightning, TensorBoard, Hugging
Face's Trainer, MLflow and W&B write, lrtui's own CSV export, JSON Lines and plain logging text.

    read_runs(path) -> LogFile       every run in the log (appended runs split, never blended)
    read_log(path)  -> TrainingLog   one run: the last, or read_log(path, run=N)
    LogReader(name)                  the same, fed bytes as a file grows (see lrtui.logs.reader)

Every problem becomes a `LogError` whose one-line message names the file and says what to do. Modules:
errors (caps), columns (which column is the loss), table (records), reader (bytes to lines, incremental),
csv_format, text_format, formats (sniffing, JSON, MLflow), tensorboard_format, assemble (records to runs),
sources (paths and folders).
"""

from lrtui.logs.assemble import LogFile, TrainingLog
from lrtui.logs.errors import MAX_BYTES, MAX_COLUMNS, MAX_LINE_BYTES, MAX_RUNS, LogError
from lrtui.logs.reader import LineSplitter, LogReader
from lrtui.logs.sources import read_log, read_runs

FORMAT_NAMES = {
    "keras": "Keras CSVLogger", "lightning": "Lightning metrics.csv", "tensorboard": "TensorBoard CSV",
    "tensorboard-events": "TensorBoard events", "huggingface": "Hugging Face trainer_state.json",
    "mlflow": "MLflow metrics", "wandb": "W&B export", "lrtui": "lrtui CSV export", "csv": "CSV",
    "jsonl": "JSON Lines", "json": "JSON", "text": "logging text",
}

__all__ = ["FORMAT_NAMES", "MAX_BYTES", "MAX_COLUMNS", "MAX_LINE_BYTES", "MAX_RUNS", "LineSplitter", "LogError",
           "LogFile", "LogReader", "TrainingLog", "read_log", "read_runs"]
