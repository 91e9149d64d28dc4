"""Digit sources by writer (training.synth.sources), on small generated digits."""

from __future__ import annotations

import numpy as np
import pytest

from training.synth.sources import WriterDigits, smooth_upscale


def _digit(value: int) -> np.ndarray:
    img = np.full((28, 28), 255, np.uint8)
    img[6:22, 10 + value % 3 : 14 + value % 3] = 0  # a bar, offset by the value
    return img


def test_smooth_upscale_keeps_dark_ink_on_light_paper() -> None:
    big = smooth_upscale(_digit(1), 4)
    assert big.shape == (112, 112)
    assert big[0, 0] == 255 and big[56, 48] == 0


def test_a_writer_source_gives_only_that_writers_samples_of_the_digit() -> None:
    labels = np.array([3, 3, 5])
    images = np.stack([_digit(0), _digit(1), _digit(2)])
    w = WriterDigits("w", images, labels)
    assert w.digits == [3, 5]
    draw = w.source()
    rng = np.random.default_rng(0)
    fives = {draw(5, rng).tobytes() for _ in range(5)}
    assert fives == {smooth_upscale(_digit(2)).tobytes()}
    threes = {draw(3, rng).tobytes() for _ in range(20)}
    assert len(threes) == 2
    with pytest.raises(ValueError, match="never wrote a 7"):
        draw(7, rng)
