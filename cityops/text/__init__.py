"""Text the user reads: the translation table and number/date formatting."""
