"""The numpy forward functions of the layer families; shapecli/backends/numpy.py tables them."""
