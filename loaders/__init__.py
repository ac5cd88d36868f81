"""Loaders: read department files and reference data, clean them, write the store."""
