"""Pure functions for the mechanisms: numbers and numpy arrays in, numbers out. Agents call them."""
