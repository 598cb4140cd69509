#!/usr/bin/env python3
"""Two workers race for the same pending tasks through an MCP server's tools, the way EXAMPLES.md
does it: query pending tasks, then update each to in_progress with your name. Counts double claims:
tasks that both workers were told they had taken.

  claim_race.py --tasks 200 --mode seed   -- <command that starts an MCP stdio server>
  claim_race.py --tasks 200 --mode expect -- java -jar streams-app/target/taskstate.jar mcp --url ...
  claim_race.py --tasks 200 --mode claim  -- java -jar streams-app/target/taskstate.jar mcp --url ...

Modes: seed (update_task as in EXAMPLES.md), expect (the same update with expect={"status": "pending"}),
claim (claim_task). Each worker is its own server process, as two agents would each launch one.
Prints one result line: mode=... tasks=... wins=... conflicts=... double_claims=...
"""
import argparse
import json
import subprocess
import sys
import threading
import uuid


class McpClient:
    def __init__(self, command):
        self.proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, text=True, bufsize=1)
        self.next_id = 0
        self.request("initialize", {"protocolVersion": "2025-06-18", "capabilities": {},
                                    "clientInfo": {"name": "claim-race", "version": "1"}})
        self.notify("notifications/initialized")

    def notify(self, method):
        self.proc.stdin.write(json.dumps({"jsonrpc": "2.0", "method": method}) + "\n")
        self.proc.stdin.flush()

    def request(self, method, params):
        self.next_id += 1
        self.proc.stdin.write(json.dumps({"jsonrpc": "2.0", "id": self.next_id, "method": method,
                                          "params": params}) + "\n")
        self.proc.stdin.flush()
        while True:
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError("server closed its output")
            message = json.loads(line)
            if message.get("id") == self.next_id:
                return message

    def call(self, tool, **arguments):
        message = self.request("tools/call", {"name": tool, "arguments": arguments})
        if "error" in message:
            return False, message["error"].get("message")
        result = message["result"]
        text = result["content"][0]["text"] if result.get("content") else ""
        if result.get("isError"):
            return False, text
        try:
            data = json.loads(text)
        except ValueError:
            return False, text  # the reference reports some errors as plain results
        if isinstance(data, dict) and "error" in data:
            return False, data["error"]
        return True, data

    def close(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=60)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tasks", type=int, default=200)
    parser.add_argument("--mode", choices=["seed", "expect", "claim"], default="seed")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command and args.command[0] == "--" else args.command
    tag = "race-" + uuid.uuid4().hex[:8]

    coordinator = McpClient(command)
    for i in range(args.tasks):
        ok, _ = coordinator.call("create_task", title=f"{tag} task {i}", priority="high")
        assert ok
    coordinator.close()

    workers = [McpClient(command) for _ in range(2)]
    won = [set(), set()]
    conflicts = [0, 0]
    start = threading.Barrier(2)

    def work(n):
        me = f"{tag}-worker-{n}"
        client = workers[n]
        start.wait()
        ok, available = client.call("query_tasks", filters={"status": "pending", "title_contains": tag}, limit=1000)
        for task in available:
            if args.mode == "claim":
                ok, _ = client.call("claim_task", id=task["id"], assignee=me)
            else:
                extra = {"expect": {"status": "pending"}} if args.mode == "expect" else {}
                ok, _ = client.call("update_task", id=task["id"], updates={"status": "in_progress", "assignee": me}, **extra)
            if ok:
                won[n].add(task["id"])
            else:
                conflicts[n] += 1

    threads = [threading.Thread(target=work, args=(n,)) for n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for w in workers:
        w.close()
    double = len(won[0] & won[1])
    print(f"mode={args.mode} tasks={args.tasks} wins={len(won[0]) + len(won[1])} "
          f"conflicts={conflicts[0] + conflicts[1]} double_claims={double}")


if __name__ == "__main__":
    sys.exit(main())
