#!/usr/bin/env python3
"""Tool-call latency over MCP stdio: create_task, get_task, query_tasks (status filter) and
heartbeat, one call at a time, timed from writing the request to reading its response.

  tool_latency.py [--calls 500] [--store 10000] -- java -jar streams-app/target/taskstate.jar mcp --url ...

--store first fills the store to that many tasks (through the same server) so query_tasks runs
against a realistic store; the status filter matches a tenth of them and answers the default page
(100 tasks). Prints one result line per tool: tool=... n=... p50_ms=... p99_ms=... max_ms=...
"""
import argparse
import json
import subprocess
import sys
import time
import uuid


def percentile(sorted_values, p):
    rank = max(1, int(-(-p * len(sorted_values) // 100)))
    return sorted_values[min(len(sorted_values), rank) - 1]


class Stdio:
    def __init__(self, command):
        self.proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, text=True, bufsize=1)
        self.next_id = 0
        self.request("initialize", {"protocolVersion": "2025-06-18", "capabilities": {},
                                    "clientInfo": {"name": "tool-latency", "version": "1"}})
        self.proc.stdin.write(json.dumps({"jsonrpc": "2.0", "method": "notifications/initialized"}) + "\n")
        self.proc.stdin.flush()

    def request(self, method, params):
        self.next_id += 1
        self.proc.stdin.write(json.dumps({"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params}) + "\n")
        self.proc.stdin.flush()
        while True:
            message = json.loads(self.proc.stdout.readline())
            if message.get("id") == self.next_id:
                return message

    def call(self, tool, **arguments):
        result = self.request("tools/call", {"name": tool, "arguments": arguments})["result"]
        if result.get("isError"):
            raise RuntimeError(result["content"][0]["text"])
        return json.loads(result["content"][0]["text"])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=500)
    parser.add_argument("--store", type=int, default=10000)
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command and args.command[0] == "--" else args.command
    mcp = Stdio(command)
    tag = "lat-" + uuid.uuid4().hex[:6]

    existing = len(mcp.call("query_tasks", limit=1000))
    statuses = ["pending"] * 9 + ["blocked"]
    for i in range(max(0, args.store - existing)):
        mcp.call("create_task", title=f"{tag} filler {i}", status=statuses[i % 10])

    created = []
    timings = {"create_task": [], "get_task": [], "query_tasks": [], "heartbeat": []}
    for i in range(args.calls):
        start = time.perf_counter()
        task = mcp.call("create_task", title=f"{tag} measured {i}", priority="high")
        timings["create_task"].append(time.perf_counter() - start)
        created.append(task["id"])
    for i in range(args.calls):
        start = time.perf_counter()
        mcp.call("get_task", id=created[i % len(created)])
        timings["get_task"].append(time.perf_counter() - start)
    for i in range(args.calls):
        start = time.perf_counter()
        page = mcp.call("query_tasks", filters={"status": "blocked"})
        timings["query_tasks"].append(time.perf_counter() - start)
    for i in range(args.calls):
        start = time.perf_counter()
        mcp.call("heartbeat", instance_id=f"{tag}-agent-{i % 10}")
        timings["heartbeat"].append(time.perf_counter() - start)
    mcp.proc.stdin.close()
    mcp.proc.wait(timeout=60)
    for tool, values in timings.items():
        values.sort()
        print(f"tool={tool} n={len(values)} p50_ms={percentile(values, 50) * 1000:.2f} "
              f"p99_ms={percentile(values, 99) * 1000:.2f} max_ms={values[-1] * 1000:.2f}"
              + (f" page_size={len(page)}" if tool == "query_tasks" else ""))


if __name__ == "__main__":
    sys.exit(main())
