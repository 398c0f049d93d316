"""Reports: PDF (WeasyPrint) and Excel."""
