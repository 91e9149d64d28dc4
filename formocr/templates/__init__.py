"""Form templates: named fields at known places.

template (the TOML file) -> draft (a template drafted from a scan) ->
register (a scan aligned to its template) -> cut (the template's boxes cut
from the page) -> rules (per-field checks: dates, lengths).
"""
