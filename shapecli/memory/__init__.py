"""Memory: what a training step and inference need, per layer and in total, and the largest batch that fits.

rules.py   what each layer type keeps for backward (a table, one rule per type)
model.py   the Trace walked in order: storages kept, gradients, optimizer state, inference peak
budget.py  sizes such as 24GiB, and solving a symbol for the largest value that fits
render.py  the Memory and Budget sections of the table, and the JSON keys
"""

from .model import AMP_TYPES, DEVICES, OPTIMIZER_STATES, LayerMemory, MemoryReport, Settings, memory_report

__all__ = ["AMP_TYPES", "DEVICES", "OPTIMIZER_STATES", "LayerMemory", "MemoryReport", "Settings", "memory_report"]
