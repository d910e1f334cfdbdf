"""mutagrad's built-in catalog of backprop bugs: the YAML files beside this one (see README.md)."""
