"""Sends alarms with the independent `my-dc09-spt` dialler (TCP and UDP, plain and AES with a
16-byte key) to a Vigil receiver. The dialler raises when a message is not acknowledged."""
import argparse, json, sys

from my_dc09_spt import dc09_spt


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--tcp-port", type=int, required=True)
    p.add_argument("--udp-port", type=int, required=True)
    p.add_argument("--plain-account", required=True)
    p.add_argument("--key-account", required=True)
    p.add_argument("--key-text", required=True, help="16 characters, used as the key bytes")
    a = p.parse_args()
    sent, failures = [], []
    for transport, port in (("TCP", a.tcp_port), ("UDP", a.udp_port)):
        for account, key in ((a.plain_account, None), (a.key_account, a.key_text.encode())):
            # line=0: without it this dialler leaves out the mandatory L field.
            spt = dc09_spt.dc09_spt(account, receiver=1, line=0)
            spt.set_path("main", "primary", a.host, port, account=account, key=key, receiver=1, line=0, type=transport)
            for kind, params in (
                # Zones differ per transport: without timestamps, the same sequence number and content
                # from one account is a retransmission to the receiver, and stored once.
                ("ADM-CID", {"account": account, "code": 121, "q": 1, "area": 2, "zone": 7 if transport == "TCP" else 17}),
                ("SIA-DCS", {"account": account, "code": "PA", "area": 1, "zone": 9 if transport == "TCP" else 19}),
            ):
                case = f"{transport} {kind} {'encrypted' if key else 'plain'}"
                try:
                    spt.send_msg(kind, params)
                    sent.append(case)
                except Exception as e:
                    failures.append({"case": case, "error": str(e)})
    print(json.dumps({"acked": sent, "failures": failures}))
    sys.exit(1 if failures else 0)


main()
