"""nn: neurons, layers and MLPs built on autograd_core (work in progress, see the README)."""
