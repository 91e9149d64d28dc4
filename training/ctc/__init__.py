"""The segmentation-free string reader: a small CRNN with a CTC head.

model.py (config + module), data.py (strings composed from real digits),
train.py (the loop), export.py (ONNX, parity, card). The runtime side is
``formocr.read.ctc``, which never imports torch.
"""
