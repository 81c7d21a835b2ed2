"""Sends DC-09 frames built by the independent `siadc09` package to a Vigil receiver and checks
every answer with siadc09's own parser. Prints one JSON object; exits non-zero on any mismatch."""
import argparse, datetime, json, os, socket, sys

from siadc09 import account, message, admcid, siadcs

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import strict_answers  # noqa: E402


def wrap(body: bytes) -> bytes:
    return b"\n%04X0%03X" % (strict_answers.crc16_arc(body), len(body)) + body + b"\r"


def exchange(proto, addr, frame):
    host, port = addr.rsplit(":", 1)
    if proto == "tcp":
        with socket.create_connection((host, int(port)), timeout=5) as s:
            s.sendall(frame)
            data = b""
            while not data.endswith(b"\r"):
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
            return data
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(5)
        s.sendto(frame, (host, int(port)))
        return s.recvfrom(4096)[0]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--tcp", required=True)
    p.add_argument("--udp", required=True)
    p.add_argument("--plain-account", required=True)
    p.add_argument("--key-account", required=True)
    p.add_argument("--key", required=True, help="hex key of --key-account")
    p.add_argument("--text-account", required=True, help="an account the receiver keys with a text key")
    p.add_argument("--text-key", required=True, help="the 16/24/32 characters of that key")
    a = p.parse_args()

    plain = account.Account(acct=int(a.plain_account, 16), pref=0, rcvr=1)
    keyed = account.Account(acct=int(a.key_account, 16), pref=0, rcvr=1, key=a.key)
    # siadc09 takes keys as hex: a text key is the hex of its characters.
    texted = account.Account(acct=int(a.text_account, 16), pref=0, rcvr=1, key=a.text_key.encode().hex())
    wrong = account.Account(acct=int(a.key_account, 16), pref=0, rcvr=1, key="FF" * 16)
    key_of = {keyed.acct: bytes.fromhex(a.key), texted.acct: a.text_key.encode()}
    now = datetime.datetime.now(datetime.timezone.utc)
    cases = []
    seq = 100
    for proto, addr in (("tcp", a.tcp), ("udp", a.udp)):
        for acct, encrypt in ((plain, False), (keyed, True), (texted, True)):
            acct_hex = "%X" % acct.acct
            for idtoken, content in (
                ("NULL", None),
                ("ADM-CID", b"#%s|1120 01 003" % acct_hex.encode()),
                ("SIA-DCS", b"#%s|Nri1/FA004" % acct_hex.encode()),
            ):
                seq += 1
                if idtoken == "NULL":
                    m = message.NullMessage(acct)
                else:
                    data = admcid.DataCid(content=content) if idtoken == "ADM-CID" else siadcs.DataDcsGroup(content=content)
                    m = message.EventMessage(acct, config={"idtoken": idtoken, "data": data, "seqno": seq})
                frame = m.encode(seq=seq, timestamp=now, encrypt=encrypt)
                kind = ("hex-key" if acct is keyed else "text-key") if encrypt else "plain"
                cases.append({"case": f"{proto} {idtoken} {kind}", "frame": frame, "expect": "ACK", "proto": proto, "addr": addr, "seq": seq, "acct": acct})
        # A clock an hour off: the receiver answers NAK with its own time.
        seq += 1
        stale = message.EventMessage(plain, config={"idtoken": "ADM-CID", "data": admcid.DataCid(content=b"#%X|1120 01 001" % plain.acct), "seqno": seq})
        cases.append({"case": f"{proto} stale timestamp", "frame": stale.encode(seq=seq, timestamp=now - datetime.timedelta(hours=1), encrypt=False), "expect": "NAK", "proto": proto, "addr": addr})
        # Damaged on the way (a CRC that does not match): NAK, with the #000 form every peer reads.
        good = stale.encode(seq=seq, timestamp=now, encrypt=False)
        cases.append({"case": f"{proto} bad CRC", "frame": b"\n0000" + good[5:], "expect": "NAK", "proto": proto, "addr": addr, "seq": 0, "acct_text": "000"})
        # Encrypted with the wrong key: the header is readable, so the DUH names its sequence.
        seq += 1
        bad_key = message.EventMessage(wrong, config={"idtoken": "SIA-DCS", "data": siadcs.DataDcsGroup(content=b"#%X|Nri1/PA001" % wrong.acct), "seqno": seq})
        cases.append({"case": f"{proto} wrong key", "frame": bad_key.encode(seq=seq, timestamp=now, encrypt=True), "expect": "DUH", "proto": proto, "addr": addr, "seq": seq, "acct": keyed})
        # A header nobody can read (a sequence of two digits): DUH with 0000 and #000.
        cases.append({"case": f"{proto} unreadable header", "frame": wrap(b'"SIA-DCS"12L0#1001[]'), "expect": "DUH", "proto": proto, "addr": addr, "seq": 0, "acct_text": "000"})
        # A message type the receiver does not handle: DUH.
        seq += 1
        odd = message.Message(plain, config={"idtoken": "XYZ", "seqno": seq})
        cases.append({"case": f"{proto} unknown message", "frame": odd.encode(seq=seq, timestamp=now, encrypt=False), "expect": "DUH", "proto": proto, "addr": addr})

    results, failed = [], 0
    for c in cases:
        answer = exchange(c["proto"], c["addr"], c["frame"])
        acct = c.get("acct")
        key = key_of.get(acct.acct) if acct is not None else None
        problems = []
        try:
            # siadc09 files every key under its account and prefix; it reads our answer with it.
            parsed = message.parse_frame(answer, acct.key if acct is not None and acct.key else keyed.key)
            got = parsed.idtoken
        except Exception as e:  # the peer could not read our answer
            got = f"unparseable: {e}"
        try:
            strict = strict_answers.read(answer, key)
            if strict["id"] != c["expect"]:
                problems.append(f"strict reader saw {strict['id']}")
            if "seq" in c and strict["seq"] != c["seq"]:
                problems.append(f"sequence {strict['seq']:04d}, sent {c['seq']:04d}")
            want_acct = c.get("acct_text") or ("%X" % acct.acct if acct is not None else None)
            if want_acct is not None and strict["account"].upper() != want_acct:
                problems.append(f"account {strict['account']}, expected {want_acct}")
            if c["expect"] == "ACK" and key is not None and not strict["encrypted"]:
                problems.append("a plain ACK to an encrypted frame")
        except ValueError as e:
            problems.append(f"strict reader: {e}")
        ok = got == c["expect"] and not problems
        failed += not ok
        results.append({"case": c["case"], "expect": c["expect"], "got": got, "problems": problems, "answer": answer.decode("ascii", "replace").strip()})
    print(json.dumps({"cases": results, "failed": failed, "acked_events": sum(1 for r in results if r["got"] == "ACK" and "NULL" not in r["case"])}))
    sys.exit(1 if failed else 0)


main()
