"""Layout: where the fields and digits are on a page (OpenCV).

lines (ruled lines and boxes) -> frame (a box's walls and comb grid) ->
ink (what is written, and how dark) -> digits (a box's ink cut into digits)
-> fields (the page's boxes as fields, in reading order).
"""
