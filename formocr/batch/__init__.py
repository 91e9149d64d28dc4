"""Batches that cron can run: resume state, locks, the hot folder.

run.run_batch     discover -> lock -> per document: state hit, or read and record
                  -> output written atomically, every document once, in input order
state.State       SQLite: finished documents by content hash + model + options
lock.hold         one run per output and state file (filelock)
watch.watch       a hot folder: read files once complete, move them, append JSONL
"""
