"""Framework backends: one table per framework, mapping every layer type to its counterpart."""
