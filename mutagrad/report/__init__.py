"""Report writers: one module per format, all reading the same frozen records."""
