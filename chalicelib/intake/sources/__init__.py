"""One module per form vendor: its payload model, its verifier, and its reading into a ``FormSubmission``."""
