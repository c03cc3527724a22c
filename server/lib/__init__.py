"""Small shared pieces: i18n, errors, masking, the shared key-value store."""
