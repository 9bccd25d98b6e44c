"""Trainers, one module per model family; jitted kernels live in the private modules."""
