"""The three disclosures 三公开 and the two evaluations 两评 of a community (一定两评三公开)."""
