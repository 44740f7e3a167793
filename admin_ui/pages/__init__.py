"""The cabinets' pages, one module per audience."""
