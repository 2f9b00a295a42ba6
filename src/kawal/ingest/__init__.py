"""Data in: reading a source's landing files into canonical rows, with clear errors for bad input."""
