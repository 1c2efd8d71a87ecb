"""Drawings of a Diagram, one module per format: `svg` (laid out by shapecli.layout), `mermaid`, `dot`."""
