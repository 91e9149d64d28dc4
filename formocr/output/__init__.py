"""Output: results written as CSV, JSON or JSONL, atomically, to the JSON Schema in schema/."""
