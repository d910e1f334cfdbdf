"""Operator mutants: mechanical mutations of the reference (or a user's model file), classified by an oracle.

One module per mutation operator, each with its own examples; `generate.py` applies them with
libcst, so every mutant is a minimal text patch of one function; `oracle.py` classifies each
mutant against HIPS autograd; `entries.py` writes the catalog entries.
"""
from . import (axis, binary_operator, boolean, comparison, gradient_key, keyword_removal, layer_index, number,
               numpy_function, operand_swap, operator_deletion, statement_deletion, transpose, unary_sign)

# In this order; a mutant that two operators produce alike is kept once, for the first.
OPERATORS = tuple(m.OPERATOR for m in (
    binary_operator, unary_sign, axis, number, comparison, boolean, transpose, statement_deletion,
    gradient_key, layer_index, operand_swap, operator_deletion, numpy_function, keyword_removal))
