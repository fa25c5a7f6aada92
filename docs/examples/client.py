#!/usr/bin/env python3
"""A zsupd client in a few lines: pyzmq + msgpack (Debian: python3-zmq python3-msgpack).

Usage: client.py STATE_DIR   (creates a node 'hello', follows its output for 3 s, destroys it)
Each request waits at most 5 s for its reply: no zsupd at STATE_DIR exits 3.
"""
import sys, time
import msgpack, zmq

if len(sys.argv) != 2 or sys.argv[1] in ("-h", "--help"):
    help_asked = len(sys.argv) == 2
    print(__doc__.strip(), file=sys.stdout if help_asked else sys.stderr)
    sys.exit(0 if help_asked else 2)
state_dir = sys.argv[1]
endpoint = f"ipc://{state_dir}/control.sock"
ctx = zmq.Context()
ctx.setsockopt(zmq.LINGER, 0)  # exiting does not wait for what was never delivered
control = ctx.socket(zmq.REQ)
control.setsockopt(zmq.RCVTIMEO, 5000)  # recv() raises zmq.Again after 5 s
control.connect(endpoint)
events = ctx.socket(zmq.SUB)
events.connect(f"ipc://{state_dir}/events.sock")
events.subscribe(b"")  # every topic: node_status/, node_exit/, stdout/, stderr/


def call(**request):
    control.send(msgpack.packb(request))
    try:
        reply = msgpack.unpackb(control.recv())
    except zmq.Again:
        # A REQ socket without its reply cannot send again: give up here.
        print(f"client.py: zsupd is not answering at {endpoint} (is it running?)", file=sys.stderr)
        sys.exit(3)
    if not reply["ok"]:
        raise RuntimeError(reply["error"])
    return reply


print(call(cmd="ping"))
time.sleep(0.2)  # let the subscription reach zsupd before anything happens
call(cmd="create", config={"name": "hello",
                           "command": ["sh", "-c", "while true; do date; sleep 1; done"]})
deadline = time.time() + 3
while time.time() < deadline:
    if events.poll(100):
        topic, payload = events.recv_multipart()
        print(topic.decode(), msgpack.unpackb(payload))
print(call(cmd="status", node="hello")["status"]["nodes"]["hello"]["state"])
call(cmd="destroy", node="hello")
