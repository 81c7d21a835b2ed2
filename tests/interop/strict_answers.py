"""A strict reader of a receiver's answers, the way the strictest senders read them: an encrypted
answer is decrypted and turned into text *before* `]` is looked for, so a pad byte that is not
printable ASCII (or is `[`, `]` or `|`) makes the answer unreadable. Some peers in the suite are
lenient and would accept either, so the interop tests run every answer through this too."""
import re

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

FRAME = re.compile(rb'^\n([0-9A-F]{4})0([0-9A-F]{3})(.*)\r$', re.S)
HEADER = re.compile(r'^"(\*?)([A-Z0-9-]+)"(\d{4})(?:R([0-9A-Fa-f]{1,6}))?L([0-9A-Fa-f]{1,6})(?:#([0-9A-Fa-f]{1,16})|A([0-9A-Fa-f]{1,16}))\[(.*)$', re.S)


def crc16_arc(data: bytes) -> int:
    crc = 0
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc


def read(answer: bytes, key: bytes | None) -> dict:
    """Parses one answer; raises ValueError naming what a strict sender would reject."""
    m = FRAME.match(answer)
    if not m:
        raise ValueError(f"not a frame: {answer!r}")
    crc, length, body = int(m.group(1), 16), int(m.group(2), 16), m.group(3)
    if len(body) != length:
        raise ValueError(f"length says {length}, body has {len(body)}")
    if crc16_arc(body) != crc:
        raise ValueError("bad CRC")
    text = body.decode("ascii")  # strict: the frame itself is ASCII
    h = HEADER.match(text)
    if not h:
        raise ValueError(f"unreadable header: {text!r}")
    encrypted, idtoken, seq, rcvr, line, acct, short_acct, rest = h.groups()
    out = {"id": idtoken, "encrypted": bool(encrypted), "seq": int(seq), "receiver": rcvr,
           "line": line, "account": acct if acct is not None else short_acct}
    if encrypted:
        if key is None:
            raise ValueError("an encrypted answer to a plain frame")
        raw = bytes.fromhex(rest)
        dec = Cipher(algorithms.AES(key), modes.CBC(bytes(16))).decryptor()
        plain = dec.update(raw) + dec.finalize()
        try:
            plain_text = plain.decode("ascii")
        except UnicodeDecodeError as e:
            raise ValueError(f"the decrypted answer is not text: {plain!r}") from e
        if not all(0x20 <= ord(c) < 0x7F for c in plain_text):
            raise ValueError(f"the decrypted answer holds control characters: {plain!r}")
        end = plain_text.find("]")
        if end < 0:
            raise ValueError(f"no ] in the decrypted answer: {plain_text!r}")
        pad = plain_text[:end].split("|")[0]
        if any(c in "[]|" for c in pad):
            raise ValueError(f"the pad holds a forbidden character: {pad!r}")
        out["pad"] = pad
        out["timestamp"] = plain_text[end + 1:]
    else:
        if "]" not in rest:
            raise ValueError("no ] in the answer")
        out["timestamp"] = rest.split("]", 1)[1]
    return out
