"""Sends DC-09 frames built by the independent `siadc09` package to a Vigil receiver and checks
every answer with siadc09's own parser. Prints one JSON object; exits non-zero on any mismatch."""
import argparse, datetime, json, socket, sys

from siadc09 import account, message, admcid, siadcs


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
    a = p.parse_args()

    plain = account.Account(acct=int(a.plain_account, 16), pref=0, rcvr=1)
    keyed = account.Account(acct=int(a.key_account, 16), pref=0, rcvr=1, key=a.key)
    keys = keyed.key  # one key for every context (siadc09 files L0 under no prefix)
    now = datetime.datetime.now(datetime.timezone.utc)
    cases = []
    seq = 100
    for proto, addr in (("tcp", a.tcp), ("udp", a.udp)):
        for acct, encrypt in ((plain, False), (keyed, True)):
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
                cases.append({"case": f"{proto} {idtoken} {'encrypted' if encrypt else 'plain'}", "frame": frame, "expect": "ACK", "proto": proto, "addr": addr})
        # A clock an hour off: the receiver answers NAK with its own time.
        seq += 1
        stale = message.EventMessage(plain, config={"idtoken": "ADM-CID", "data": admcid.DataCid(content=b"#%X|1120 01 001" % plain.acct), "seqno": seq})
        cases.append({"case": f"{proto} stale timestamp", "frame": stale.encode(seq=seq, timestamp=now - datetime.timedelta(hours=1), encrypt=False), "expect": "NAK", "proto": proto, "addr": addr})
        # A message type the receiver does not handle: DUH.
        seq += 1
        odd = message.Message(plain, config={"idtoken": "XYZ", "seqno": seq})
        cases.append({"case": f"{proto} unknown message", "frame": odd.encode(seq=seq, timestamp=now, encrypt=False), "expect": "DUH", "proto": proto, "addr": addr})

    results, failed = [], 0
    for c in cases:
        answer = exchange(c["proto"], c["addr"], c["frame"])
        try:
            parsed = message.parse_frame(answer, keys)
            got = parsed.idtoken
        except Exception as e:  # the peer could not read our answer
            got = f"unparseable: {e}"
        ok = got == c["expect"]
        failed += not ok
        results.append({"case": c["case"], "expect": c["expect"], "got": got, "answer": answer.decode("ascii", "replace").strip()})
    print(json.dumps({"cases": results, "failed": failed, "acked_events": sum(1 for r in results if r["got"] == "ACK" and "NULL" not in r["case"])}))
    sys.exit(1 if failed else 0)


main()
