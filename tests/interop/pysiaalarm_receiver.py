"""Runs the independent `pysiaalarm` receiver on a port and reports the events it accepted: used
to check that Vigil's own sender (`vigil sim`) speaks DC-09 a third party understands."""
import argparse, json, sys, time

from pysiaalarm import SIAAccount, SIAClient, SIAEvent


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--account", required=True)
    p.add_argument("--key", default=None, help="text key (16/24/32 characters)")
    p.add_argument("--expect", type=int, required=True)
    p.add_argument("--timeout", type=float, default=30)
    a = p.parse_args()
    events = []

    def on_event(event: SIAEvent):
        events.append({"code": event.code, "account": event.account, "valid": bool(event.valid_message), "ri": event.ri})

    client = SIAClient("127.0.0.1", a.port, [SIAAccount(a.account, a.key)], function=on_event)
    client.start()
    print("ready", flush=True)
    deadline = time.time() + a.timeout
    while len(events) < a.expect and time.time() < deadline:
        time.sleep(0.05)
    client.stop()
    print(json.dumps({"events": events}), flush=True)
    sys.exit(0 if len(events) >= a.expect else 1)


main()
