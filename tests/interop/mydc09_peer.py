"""Sends alarms with the independent `my-dc09-spt` dialler (TCP and UDP, plain and AES with a
text key and with a hex key) to a Vigil receiver. The dialler raises when a message is not
acknowledged; every answer is also read by the strict reader (tests/interop/strict_answers.py)."""
import argparse, json, os, socket, sys

from my_dc09_spt import dc09_spt

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import strict_answers  # noqa: E402

answers = []
_send, _sendto = socket.socket.send, socket.socket.sendto
_recv, _recvfrom = socket.socket.recv, socket.socket.recvfrom


def _recv_kept(self, *args, **kw):
    data = _recv(self, *args, **kw)
    answers.append(data)
    return data


def _recvfrom_kept(self, *args, **kw):
    data, addr = _recvfrom(self, *args, **kw)
    answers.append(data)
    return data, addr


# Keep every answer the dialler reads so the strict reader can read it too.
socket.socket.recv = _recv_kept
socket.socket.recvfrom = _recvfrom_kept


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--tcp-port", type=int, required=True)
    p.add_argument("--udp-port", type=int, required=True)
    p.add_argument("--plain-account", required=True)
    p.add_argument("--key-account", required=True)
    p.add_argument("--key-text", required=True, help="16 characters, used as the key bytes")
    p.add_argument("--hex-account", required=True)
    p.add_argument("--key-hex", required=True, help="32 hex digits")
    a = p.parse_args()
    strict_failures = []
    sent, failures = [], []
    for transport, port in (("TCP", a.tcp_port), ("UDP", a.udp_port)):
        for account, key in ((a.plain_account, None), (a.key_account, a.key_text.encode()), (a.hex_account, bytes.fromhex(a.key_hex))):
            # line=0: without it this dialler leaves out the mandatory L field.
            spt = dc09_spt.dc09_spt(account, receiver=1, line=0)
            spt.set_path("main", "primary", a.host, port, account=account, key=key, receiver=1, line=0, type=transport)
            for kind, params in (
                # Zones differ per transport: without timestamps, the same sequence number and content
                # from one account is a retransmission to the receiver, and stored once.
                ("ADM-CID", {"account": account, "code": 121, "q": 1, "area": 2, "zone": 7 if transport == "TCP" else 17}),
                ("SIA-DCS", {"account": account, "code": "PA", "area": 1, "zone": 9 if transport == "TCP" else 19}),
            ):
                case = f"{transport} {kind} {'encrypted' if key else 'plain'} {account}"
                answers.clear()
                try:
                    spt.send_msg(kind, params)
                    sent.append(case)
                except Exception as e:
                    failures.append({"case": case, "error": str(e)})
                frames = [f for f in b"".join(answers).split(b"\r") if f.strip()]
                for frame in frames:
                    try:
                        got = strict_answers.read(frame.lstrip(b"\r") + b"\r", key)
                        if got["id"] != "ACK" or got["encrypted"] != bool(key):
                            strict_failures.append({"case": case, "error": f"answered {got}"})
                    except ValueError as e:
                        strict_failures.append({"case": case, "error": f"strict reader: {e}"})
                if not frames:
                    strict_failures.append({"case": case, "error": "no answer seen"})
    print(json.dumps({"acked": sent, "failures": failures, "strict_failures": strict_failures}))
    sys.exit(1 if failures or strict_failures else 0)


main()
