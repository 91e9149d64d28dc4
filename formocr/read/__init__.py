"""Reading: a field's cut-out ink to its value and confidence.

normalize (the one 28x28 preprocessing, shared with training) ->
classify (the digit network, ONNX) -> amount (separators and decimals).
"""
