"""`shapecli import`: existing models → specs.

    torch_import.py    a PyTorch model (MODULE:CALLABLE): made, traced with torch.fx, run, checked
    torch_convert.py   the traced fx graph → ImportedGraph
    torch_modules.py   table: torch module class → layer type and arguments (or a refusal)
    torch_functions.py table: torch functions and tensor methods → layers
    keras_import.py    a .keras archive or model.to_json() file, read without Keras → ImportedGraph
    keras_layers.py    table: Keras layer class → layer type and arguments (or a refusal)
    graph.py           ImportedGraph: layers, the module scopes they sit in, what could not be mapped
    spec_writer.py     ImportedGraph → spec text: scopes become blocks, chains of equal blocks `repeat`

Only the framework importer imports its framework, and only when called.
"""
