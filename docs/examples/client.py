#!/usr/bin/env python3
"""A zsupd client in a dozen lines: pyzmq + msgpack (Debian: python3-zmq python3-msgpack).

Usage: client.py STATE_DIR   (creates a node 'hello', follows its output for 3 s, destroys it)
"""
import sys, time
import msgpack, zmq

state_dir = sys.argv[1]
ctx = zmq.Context()
control = ctx.socket(zmq.REQ)
control.connect(f"ipc://{state_dir}/control.sock")
events = ctx.socket(zmq.SUB)
events.connect(f"ipc://{state_dir}/events.sock")
events.subscribe(b"")  # every topic: node_status/, node_exit/, stdout/, stderr/


def call(**request):
    control.send(msgpack.packb(request))
    reply = msgpack.unpackb(control.recv())
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
