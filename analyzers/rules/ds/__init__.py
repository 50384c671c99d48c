"""DS3xx: fine-tuning dataset hygiene (size, duplicates, format, length, evaluation)."""
