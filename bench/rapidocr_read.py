"""Read many PNG crops with RapidOCR, recognition only; run by bench/peers.py.

    bench/.venv-rapidocr/bin/python bench/rapidocr_read.py < paths.txt > readings.jsonl

Runs in RapidOCR's own venv (``python3 -m venv bench/.venv-rapidocr &&
bench/.venv-rapidocr/bin/pip install rapidocr==3.10.0 onnxruntime``), never the
project's. Loads the engine once (the PP-OCRv6 models its wheel ships, offline),
then for each path on stdin prints one JSON line: the path, the text and score
RapidOCR gives the whole crop (no detection, no angle classifier: the crop is
the true box), and the process CPU seconds the reading took. The first line is
``{"load_cpu_s": ...}``. Logs go to stderr.
"""

from __future__ import annotations

import json
import sys
import time


def main() -> int:
    t0 = time.process_time()
    import cv2
    from rapidocr import RapidOCR

    engine = RapidOCR(params={"Global.log_level": "error"})
    print(json.dumps({"load_cpu_s": time.process_time() - t0}), flush=True)
    for line in sys.stdin:
        path = line.strip()
        if not path:
            continue
        t = time.process_time()
        img = cv2.imread(path, cv2.IMREAD_COLOR)
        text, score = "", 0.0
        if img is not None:
            out = engine(img, use_det=False, use_cls=False, use_rec=True)
            if out.txts:
                text, score = "".join(out.txts), float(min(out.scores))
        cpu = time.process_time() - t
        print(json.dumps({"path": path, "text": text, "score": score, "cpu_s": cpu}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
