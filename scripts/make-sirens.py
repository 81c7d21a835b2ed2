#!/usr/bin/env python3
"""Synthesises Vigil's three siren sounds into assets/sounds/ (mono, 16-bit, 22,050 Hz WAV).

Each file is one seamless loop: the console repeats it until the alarm is acknowledged.
  siren-p1.wav  P1 (violence, panic, fire): a fast wail sweeping 650 -> 1300 -> 650 Hz, twice a second
  siren-p2.wav  P2 (intrusion, watch-list): a two-tone 800 / 600 Hz, half a second each
  siren-p3.wav  P3 (technical, patrol): a soft double chime, then quiet
Run from the repository root: python3 scripts/make-sirens.py
"""

import math
import struct
import wave
from pathlib import Path

RATE = 22050
OUT = Path(__file__).resolve().parent.parent / "assets" / "sounds"


def write(name, samples):
    OUT.mkdir(parents=True, exist_ok=True)
    with wave.open(str(OUT / name), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(b"".join(struct.pack("<h", int(max(-1.0, min(1.0, s)) * 32000)) for s in samples))


def wail(seconds=2.0, low=650.0, high=1300.0, sweeps_per_second=2.0, level=0.8):
    # The frequency follows a raised cosine through whole sweeps, so its mean is (low + high) / 2 and
    # the phase after `seconds` is a whole number of cycles (1,950 here): the last sample leads into
    # the first as smoothly as any two neighbours, with no fade and no gap at the seam.
    n = int(seconds * RATE)
    phase = 0.0
    out = []
    for i in range(n):
        t = i / RATE
        out.append(level * math.sin(phase))
        f = low + (high - low) * 0.5 * (1 - math.cos(2 * math.pi * sweeps_per_second * t))
        phase += 2 * math.pi * f / RATE
    return out


def tone(freq, seconds, level):
    n = int(seconds * RATE)
    return [level * math.sin(2 * math.pi * freq * i / RATE) for i in range(n)]


def fade_ends(samples, seconds):
    k = max(1, int(seconds * RATE))
    out = list(samples)
    for i in range(min(k, len(out))):
        g = i / k
        out[i] *= g
        out[-1 - i] *= g
    return out


def two_tone():
    out = []
    for _ in range(2):
        out += fade_ends(tone(800, 0.5, 0.7), 0.01)
        out += fade_ends(tone(600, 0.5, 0.7), 0.01)
    return out


def chime():
    def bell(freq, seconds):
        n = int(seconds * RATE)
        return [0.5 * math.exp(-4.0 * i / n) * math.sin(2 * math.pi * freq * i / RATE) for i in range(n)]

    out = fade_ends(bell(880, 0.35), 0.004) + fade_ends(bell(660, 0.5), 0.004)
    return out + [0.0] * (int(2.0 * RATE) - len(out))


if __name__ == "__main__":
    write("siren-p1.wav", wail())
    write("siren-p2.wav", two_tone())
    write("siren-p3.wav", chime())
    print(f"wrote {', '.join(sorted(p.name for p in OUT.glob('*.wav')))} to {OUT}")
