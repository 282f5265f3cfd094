"""Forms, whatever tool they come from: the neutral submission, the field mapping onto a profile, its coercions."""
