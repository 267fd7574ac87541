"""The attack tests. tests/conftest.py's fixtures apply here as in every subdirectory; this file
only marks the package's place (and is where fixtures of the attacks alone would go)."""
