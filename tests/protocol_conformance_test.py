#!/usr/bin/env python3
"""Conformance of zsupd with the wire contract, from the outside.

Written only against docs/protocol.md (and ../shared/PROTOCOL.md) with pyzmq
and msgpack, the way a client in another language would be: no zsup code.

Usage: protocol_conformance_test.py ZSUPD ZSUP_STEM TEST_NODE
"""
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

import msgpack
import zmq

ZSUPD, STEM, TEST_NODE = sys.argv[1:4]
STATES = {"starting", "running", "backoff", "stopping", "exited"}


class Daemon:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="zpc-", dir="/tmp")
        r, w = os.pipe()
        self.log = open(os.path.join(self.dir, "zsupd.log"), "wb")
        self.proc = subprocess.Popen(
            [ZSUPD, "--state-dir", self.dir, "--stem", STEM, "--ready-fd", str(w),
             "--stop-timeout", "5", "--no-echo"],
            pass_fds=(w,), stdout=self.log, stderr=self.log, stdin=subprocess.DEVNULL)
        os.close(w)
        ready = os.read(r, 16)
        os.close(r)
        assert ready == b"READY=1\n", ready
        self.ctx = zmq.Context()

    def call_raw(self, frames):
        s = self.ctx.socket(zmq.REQ)
        s.setsockopt(zmq.LINGER, 0)
        s.connect(f"ipc://{self.dir}/control.sock")
        s.send_multipart(frames)
        assert s.poll(10000), "no reply"
        reply = msgpack.unpackb(s.recv(), raw=False)
        s.close()
        return reply

    def call(self, **request):
        return self.call_raw([msgpack.packb(request)])

    def subscribe(self, prefix):
        s = self.ctx.socket(zmq.SUB)
        s.setsockopt(zmq.LINGER, 0)
        s.subscribe(prefix.encode())
        # Wait until connected, so the subscription is on its way before the
        # test makes anything happen.
        monitor = s.get_monitor_socket(zmq.EVENT_CONNECTED)
        s.connect(f"ipc://{self.dir}/events.sock")
        assert monitor.poll(5000), "subscriber did not connect"
        monitor.recv_multipart()
        s.disable_monitor()
        monitor.close()
        return s

    def stop(self):
        self.proc.terminate()
        self.proc.wait(40)
        self.ctx.destroy(linger=0)
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def next_event(sub, timeout=10.0):
    assert sub.poll(int(timeout * 1000)), "no event"
    frames = sub.recv_multipart()
    assert len(frames) == 2, frames
    return frames[0].decode(), msgpack.unpackb(frames[1], raw=False)


def wait_for(predicate, timeout=10.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.01)
    return None


class ProtocolTest(unittest.TestCase):
    def setUp(self):
        self.d = Daemon()

    def tearDown(self):
        self.d.stop()

    def node(self, name, *args):
        return {"name": name, "command": [TEST_NODE, *args]}

    def running(self, name):
        def check():
            nodes = self.d.call(cmd="status", node=name)["status"]["nodes"]
            n = nodes.get(name)
            return n if n and n.get("state") == "running" and "pid" in n else None
        return wait_for(check)

    def test_ping(self):
        r = self.d.call(cmd="ping")
        self.assertIs(r["ok"], True)
        self.assertIsInstance(r["version"], str)
        self.assertEqual(r["pid"], self.d.proc.pid)
        self.assertEqual(r["protocol"], 2)  # the "Version 2 additions" are implemented
        self.assertIsInstance(r["protocol"], int)

    def test_every_reply_is_a_map_with_ok(self):
        bad = [b"", b"\xc1", b"\x91\x01", msgpack.packb([1]), msgpack.packb({"node": "x"}),
               msgpack.packb({"cmd": "nope"}), msgpack.packb({"cmd": 1}),
               msgpack.packb({"cmd": "status", "node": 5}), b"\xdd\xff\xff\xff\xff"]
        for frame in bad:
            r = self.d.call_raw([frame])
            self.assertIs(r["ok"], False, frame)
            self.assertIsInstance(r["error"], str)
            self.assertTrue(r["error"])
        r = self.d.call_raw([msgpack.packb({"cmd": "ping"}), b"second frame"])
        self.assertIs(r["ok"], False)
        self.assertIs(self.d.call(cmd="ping")["ok"], True)

    def test_zeek_error_strings(self):
        cases = [({"name": ""}, "node names must not be an empty string"),
                 ({"name": "a b"}, "node names must not contain spaces: 'a b'"),
                 ({"name": "x", "interface": "eth0", "pcap_file": "p"},
                  "node with name 'x' has interface and pcap_file set")]
        for config, error in cases:
            self.assertEqual(self.d.call(cmd="create", config=config),
                             {"ok": False, "error": error})
        self.assertIs(self.d.call(cmd="create", config=self.node("dup"))["ok"], True)
        self.assertEqual(self.d.call(cmd="create", config=self.node("dup")),
                         {"ok": False, "error": "node with name 'dup' already exists"})
        r = self.d.call(cmd="create", config={"name": "typo", "stdout_fle": "x"})
        self.assertIs(r["ok"], False)
        self.assertIn("stdout_fle", r["error"])

    def test_status_shape(self):
        config = {"name": "w1", "command": [TEST_NODE], "env": {"A": "1"},
                  "addl_base_scripts": [], "addl_user_scripts": [], "cluster": {
                      "w1": {"role": "WORKER", "host": "127.0.0.1",
                             "p": {"port": 27761, "proto": "tcp"}}}}
        self.assertIs(self.d.call(cmd="create", config=config)["ok"], True)
        n = self.running("w1")
        self.assertIsNotNone(n)
        self.assertEqual(n["node"]["name"], "w1")
        self.assertEqual(n["node"]["env"], {"A": "1"})
        self.assertIn(n["node"]["cluster"]["w1"]["role"], ("WORKER", "Supervisor::WORKER"))
        self.assertIsInstance(n["pid"], int)
        self.assertIn(n["state"], STATES)
        self.assertIsInstance(n["restarts"], int)
        self.assertIsInstance(n["started_at"], float)
        self.assertEqual(self.d.call(cmd="status", node="unknown"),
                         {"ok": True, "status": {"nodes": {}}})
        everything = self.d.call(cmd="status")["status"]["nodes"]
        self.assertEqual(list(everything), ["w1"])

    def test_events_and_tail(self):
        sub = self.d.subscribe("")
        self.assertIs(self.d.call(cmd="create", config=self.node("w1", "--lines=5", "--exit=3"))["ok"], True)
        seen = {"node_status": None, "node_exit": None, "stdout": []}
        deadline = time.time() + 10
        while time.time() < deadline and seen["node_exit"] is None:
            topic, payload = next_event(sub)
            kind, _, name = topic.partition("/")
            self.assertEqual(name, "w1")
            self.assertEqual(payload["node"], "w1")
            if kind == "stdout":
                seen["stdout"].append(payload)
            elif kind in ("node_status", "node_exit") and seen[kind] is None:
                seen[kind] = payload
        status, exit_ = seen["node_status"], seen["node_exit"]
        self.assertEqual(set(status), {"node", "pid", "restarts", "at"})
        self.assertEqual(status["restarts"], 0)
        self.assertEqual(set(exit_), {"node", "pid", "code", "signal", "commanded", "at"})
        self.assertEqual((exit_["code"], exit_["signal"], exit_["commanded"]), (3, None, False))
        self.assertEqual([p["msg"] for p in seen["stdout"]], [f"line {i}" for i in range(1, 6)])
        self.assertEqual([p["seq"] for p in seen["stdout"]], list(range(1, 6)))
        for p in seen["stdout"]:
            self.assertIsInstance(p["at"], float)
        tail = self.d.call(cmd="tail", node="w1", stream="stdout", lines=2)
        self.assertIs(tail["ok"], True)
        self.assertEqual([l["msg"] for l in tail["lines"][-2:]], ["line 4", "line 5"])
        self.assertEqual(set(tail["lines"][0]), {"msg", "seq", "at"})

    def test_destroy_and_restart(self):
        self.assertIs(self.d.call(cmd="create", config=self.node("w1"))["ok"], True)
        pid = self.running("w1")["pid"]
        sub = self.d.subscribe("node_")
        self.assertIs(self.d.call(cmd="restart", node="w1")["ok"], True)
        topic, exit_ = next_event(sub)
        if topic == "node_ready/w1":  # of the first process, if it came late
            self.assertEqual(exit_["pid"], pid)
            topic, exit_ = next_event(sub)
        self.assertEqual(topic, "node_exit/w1")
        self.assertEqual((exit_["pid"], exit_["commanded"]), (pid, True))
        topic, status = next_event(sub)
        self.assertEqual(topic, "node_status/w1")
        self.assertNotEqual(status["pid"], pid)
        # Version 2: for ready "exec", node_ready right after its node_status.
        topic, ready = next_event(sub)
        self.assertEqual(topic, "node_ready/w1")
        self.assertEqual(set(ready), {"node", "pid", "at"})
        self.assertEqual(ready["pid"], status["pid"])
        self.assertGreaterEqual(ready["at"], status["at"])
        # Extension: last_exit says it was commanded; `detail` adds the exits.
        def w1():
            return self.d.call(cmd="status", node="w1")["status"]["nodes"]["w1"]
        last = wait_for(lambda: w1().get("last_exit"))
        self.assertEqual(set(last), {"code", "signal", "at", "commanded"})
        self.assertIs(last["commanded"], True)
        self.assertNotIn("exits", w1())
        detail = self.d.call(cmd="status", node="w1", detail=True)["status"]["nodes"]["w1"]
        self.assertEqual(detail["exits"], [last])
        self.assertIs(self.d.call(cmd="restart", node="w1", detail=True)["ok"], False)
        self.assertIs(self.d.call(cmd="destroy", node="nope")["ok"], False)
        self.assertIs(self.d.call(cmd="restart", node="nope")["ok"], False)
        self.assertIs(self.d.call(cmd="destroy", node="w1")["ok"], True)
        self.assertEqual(self.d.call(cmd="status")["status"]["nodes"], {})
        topic, exit_ = next_event(sub)
        self.assertEqual(topic, "node_exit/w1")
        self.assertIs(exit_["commanded"], True)

    def test_zeek_supervised_node(self):
        cfg = self.node("w1", "--print-env")
        self.assertIs(self.d.call(cmd="create", config=cfg)["ok"], True)
        import json

        def env_line():
            lines = self.d.call(cmd="tail", node="w1", stream="stdout", lines=1000)["lines"]
            for l in lines:
                if l["msg"].startswith("ENV ZEEK_SUPERVISED_NODE="):
                    return l["msg"][len("ENV ZEEK_SUPERVISED_NODE="):]
            return None
        text = wait_for(env_line)
        self.assertIsNotNone(text)
        self.assertNotIn("\n", text)
        j = json.loads(text)
        self.assertEqual(j["name"], "w1")
        self.assertEqual(j["command"], cfg["command"])
        for absent in ("interface", "pcap_file", "directory", "cpu_affinity", "bare_mode"):
            self.assertNotIn(absent, j)

    def test_v2_output_files_reopen_and_execution_fields(self):
        work = os.path.join(self.d.dir, "files")
        cfg = {"name": "f1", "directory": work, "stdout_file": "out.log", "tee": True,
               "stdout_rotate": {"max_bytes": 1 << 20, "backups": 2},
               "rlimits": {"nofile": [256, 512]}, "umask": 0o027,
               "command": ["/bin/sh", "-c", "ulimit -Sn; ulimit -Hn; umask; exec sleep 1000"]}
        self.assertEqual(self.d.call(cmd="create", config=cfg), {"ok": True})
        out = os.path.join(work, "out.log")
        self.assertTrue(wait_for(lambda: os.path.exists(out) and
                                 open(out).read() == "256\n512\n0027\n"), open(out).read())
        self.assertEqual(os.stat(out).st_mode & 0o777 & ~0o640, 0)
        # The stem writes the file itself; the published copy reaches zsupd's
        # tail buffer over the link, possibly a moment later.
        def tailed():
            got = self.d.call(cmd="tail", node="f1", stream="stdout", lines=10)["lines"]
            return got if len(got) >= 3 else None
        lines = wait_for(tailed) or []
        self.assertEqual([l["msg"] for l in lines], ["256", "512", "0027"], "tee publishes")
        self.assertEqual([l["seq"] for l in lines], [1, 2, 3])
        node = self.d.call(cmd="status", node="f1")["status"]["nodes"]["f1"]["node"]
        self.assertEqual(node["rlimits"], {"nofile": [256, 512]})
        self.assertEqual(node["stdout_rotate"], {"max_bytes": 1 << 20, "backups": 2})
        os.rename(out, out + ".1")
        self.assertEqual(self.d.call(cmd="reopen", node="f1"), {"ok": True})
        self.assertTrue(wait_for(lambda: os.path.exists(out)), "reopen created the file again")
        self.assertEqual(self.d.call(cmd="reopen", nodes=["nope"])["ok"], False)
        for key, value in (("user", "no-such-user-zpc"), ("capabilities", ["CAP_FLY"]),
                           ("rlimits", {"files": 1}), ("umask", 0o1000), ("nice", 99),
                           ("stderr_rotate", {"max_bytes": 10, "backups": 1})):
            r = self.d.call(cmd="create", config={"name": "bad", key: value,
                                                  "command": ["/bin/true"]})
            self.assertIs(r["ok"], False, key)
            self.assertIn("config." + key, r["error"])
            self.assertIn("node 'bad'", r["error"])


CLIENT_PY = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "docs", "examples",
                         "client.py")


class ClientExampleTest(unittest.TestCase):
    """docs/examples/client.py: what it says it does, and no hang without zsupd."""

    def run_client(self, *args):
        return subprocess.run([sys.executable, CLIENT_PY, *args], capture_output=True, text=True,
                              timeout=60)

    def test_usage(self):
        r = self.run_client()
        self.assertEqual(r.returncode, 2)
        self.assertIn("Usage: client.py STATE_DIR", r.stderr)
        r = self.run_client("--help")
        self.assertEqual(r.returncode, 0)
        self.assertIn("Usage: client.py STATE_DIR", r.stdout)

    def test_no_zsupd_times_out(self):
        empty = tempfile.mkdtemp(prefix="zpc-", dir="/tmp")
        try:
            start = time.monotonic()
            r = self.run_client(empty)
            self.assertLess(time.monotonic() - start, 30)
            self.assertEqual(r.returncode, 3, r.stderr)
            self.assertIn(f"zsupd is not answering at ipc://{empty}/control.sock", r.stderr)
        finally:
            shutil.rmtree(empty, ignore_errors=True)

    def test_against_zsupd(self):
        d = Daemon()
        try:
            r = self.run_client(d.dir)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("'ok': True", r.stdout.splitlines()[0])
            self.assertIn("node_status/hello", r.stdout)
            self.assertEqual(r.stdout.splitlines()[-1], "running")
        finally:
            d.stop()


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0], "-v"])
