"""Who changed what, and who looked at unmasked personal data (PIPL)."""
