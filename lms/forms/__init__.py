"""WTForms, one module per area."""
