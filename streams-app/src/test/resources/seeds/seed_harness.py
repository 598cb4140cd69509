"""Runs the Python blocks of the Task State Server's EXAMPLES.md, as written, against `taskstate mcp`.

Usage: python3 seed_harness.py EXAMPLES.md SERVER_LOG -- COMMAND...

COMMAND starts the MCP stdio server (newline-delimited JSON-RPC 2.0 on stdin/stdout); its stderr
goes to SERVER_LOG. The nine tools of the reference become Python functions with its signatures;
each returns the first text content parsed as JSON and raises on isError. The blocks run in file
order in one namespace, as a user pastes them one after the other. A few blocks only define
functions; the hooks below also call them with sample data. Prints "BLOCK OK: <heading>" per block
and "ALL BLOCKS OK" at the end; exits 1 if any block or hook failed.
"""

import json
import queue
import re
import subprocess
import sys
import threading
import traceback

CALL_TIMEOUT_SECONDS = 60


class ToolError(Exception):
    """A tool result with isError: true."""


class McpStdio:
    """A JSON-RPC client over the server's stdin/stdout, safe to call from several threads."""

    def __init__(self, command, log_path):
        self._log = open(log_path, "w")
        self._process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         stderr=self._log, text=True, encoding="utf-8")
        self._write_lock = threading.Lock()
        self._pending = {}
        self._pending_lock = threading.Lock()
        self._next_id = 0
        self._reader = threading.Thread(target=self._read, name="mcp-reader", daemon=True)
        self._reader.start()

    def _read(self):
        for line in self._process.stdout:
            line = line.strip()
            if not line:
                continue
            message = json.loads(line)
            if "id" in message and ("result" in message or "error" in message):
                with self._pending_lock:
                    waiter = self._pending.pop(message["id"], None)
                if waiter is not None:
                    waiter.put(message)
        with self._pending_lock:
            waiters, self._pending = list(self._pending.values()), {}
        for waiter in waiters:
            waiter.put(None)

    def _send(self, message):
        with self._write_lock:
            self._process.stdin.write(json.dumps(message) + "\n")
            self._process.stdin.flush()

    def request(self, method, params):
        waiter = queue.Queue(maxsize=1)
        with self._pending_lock:
            self._next_id += 1
            request_id = self._next_id
            self._pending[request_id] = waiter
        self._send({"jsonrpc": "2.0", "id": request_id, "method": method, "params": params})
        try:
            response = waiter.get(timeout=CALL_TIMEOUT_SECONDS)
        except queue.Empty:
            raise TimeoutError(f"{method} got no answer within {CALL_TIMEOUT_SECONDS} s")
        if response is None:
            raise ConnectionError(f"the MCP server closed stdout before answering {method}")
        if "error" in response:
            raise RuntimeError(f"{method}: JSON-RPC error {response['error']}")
        return response["result"]

    def notify(self, method, params=None):
        message = {"jsonrpc": "2.0", "method": method}
        if params is not None:
            message["params"] = params
        self._send(message)

    def close(self, timeout=60):
        self._process.stdin.close()
        code = self._process.wait(timeout=timeout)
        self._log.close()
        return code


def tools_for(server):
    """The reference's nine tools as Python functions, with its argument names."""

    def call(name, **arguments):
        result = server.request("tools/call", {"name": name, "arguments": arguments})
        text = result["content"][0]["text"]
        if result.get("isError"):
            raise ToolError(f"{name}: {text}")
        return json.loads(text)

    def create_task(**kw):
        return call("create_task", **kw)

    def update_task(id, updates):
        return call("update_task", id=id, updates=updates)

    def delete_task(id):
        return call("delete_task", id=id)

    def get_task(id):
        return call("get_task", id=id)

    def query_tasks(filters=None):
        return call("query_tasks") if filters is None else call("query_tasks", filters=filters)

    def get_instance_state(instance_id):
        return call("get_instance_state", instance_id=instance_id)

    def set_instance_state(instance_id, state):
        return call("set_instance_state", instance_id=instance_id, state=state)

    def list_active_instances():
        return call("list_active_instances")

    def heartbeat(instance_id):
        return call("heartbeat", instance_id=instance_id)

    return {f.__name__: f for f in (create_task, update_task, delete_task, get_task, query_tasks,
                                    get_instance_state, set_instance_state, list_active_instances, heartbeat)}


def python_blocks(markdown):
    """(heading, code) for every ```python block, in file order, under its nearest ### or ## heading."""
    blocks, heading, code = [], None, None
    for line in markdown.splitlines():
        if code is not None:
            if line.strip() == "```":
                blocks.append((heading, "\n".join(code) + "\n"))
                code = None
            else:
                code.append(line)
        elif line.strip() == "```python":
            code = []
        else:
            match = re.match(r"#{2,3} (.+)", line)
            if match:
                heading = match.group(1).strip()
    return blocks


def check(condition, message):
    if not condition:
        raise AssertionError(message)


# ---- hooks: what a user does next with the functions a block defines, or a check that it did its job

def after_daily_todo(ns):
    # The block updates task 1 by number: on a fresh server that is the first task it created.
    first = ns["get_task"](1)
    check(first["title"] == "Review code changes from yesterday", f"task 1 is {first['title']!r}")
    check(first["status"] == "completed", f"task 1 is {first['status']}")
    print(f"Task 1: {first['title']} ({first['status']})")


def after_code_review_queue(ns):
    # The block defines the PR hook without calling it; open a PR and run the block again to review it.
    ns["on_pull_request_opened"](101, "bob", "Add response caching")
    exec(compile(ns["__block__"], "EXAMPLES.md: Code Review Queue (again)", "exec"), ns)
    reviewed = ns["query_tasks"]({"title_contains": "Review PR #101"})
    check(len(reviewed) == 1, f"one review task for PR 101, got {reviewed}")
    task = reviewed[0]
    check(task["status"] == "completed" and task["assignee"] == "reviewer-alice", f"review task {task}")
    check(task["metadata"]["approved"] is True and task["metadata"]["pr_number"] == 101, f"review metadata {task['metadata']}")
    print(f"Reviewed: #{task['id']} - {task['title']}")


def after_github_issues_sync(ns):
    issue = {
        "number": 4242,
        "title": "Login fails with expired refresh token",
        "body": "Steps to reproduce: log in, wait for the token to expire, refresh.",
        "html_url": "https://github.com/org/repo/issues/4242",
        "user": {"login": "octocat"},
        "labels": [{"name": "bug"}, {"name": "P1"}],
    }
    ns["sync_github_issue_to_task"](issue)
    synced = ns["query_tasks"]({"title_contains": "GH-4242"})
    check(len(synced) == 1, f"one task for issue 4242, got {synced}")
    task = synced[0]
    check(task["priority"] == "high", f"P1 maps to high, got {task['priority']}")
    check(task["metadata"]["labels"] == ["bug", "P1"] and task["metadata"]["author"] == "octocat",
          f"issue metadata {task['metadata']}")
    print(f"Synced: #{task['id']} - {task['title']} ({task['priority']})")


def after_notification_system(ns):
    late = ns["create_task"](title="Renew TLS certificates", status="in_progress", priority="medium",
                             assignee="claude-worker-1", metadata={"deadline": "2020-01-01T09:00:00"})
    overdue = ns["check_overdue_tasks"]()
    check(late["id"] in [t["id"] for t in overdue], f"task {late['id']} is overdue, got {[t['id'] for t in overdue]}")
    escalated = ns["get_task"](late["id"])
    check(escalated["priority"] == "high", f"medium escalates to high, got {escalated['priority']}")
    print(f"Overdue tasks: {len(overdue)}; #{late['id']} escalated to {escalated['priority']}")


HOOKS = {
    "Daily Todo List": after_daily_todo,
    "Code Review Queue": after_code_review_queue,
    "GitHub Issues Sync": after_github_issues_sync,
    "Notification System": after_notification_system,
}


def main(argv):
    if len(argv) < 4 or argv[2] != "--":
        print(__doc__, file=sys.stderr)
        return 2
    examples, server_log, command = argv[0], argv[1], argv[3:]
    with open(examples, encoding="utf-8") as f:
        blocks = python_blocks(f.read())
    print(f"{len(blocks)} Python blocks in {examples}", flush=True)

    server = McpStdio(command, server_log)
    init = server.request("initialize", {"protocolVersion": "2025-06-18", "capabilities": {},
                                         "clientInfo": {"name": "seed-harness", "version": "1"}})
    print(f"Connected to {init['serverInfo']['name']} {init['serverInfo']['version']}", flush=True)
    server.notify("notifications/initialized")

    namespace = {"__name__": "__examples__"}
    namespace.update(tools_for(server))
    failures = []
    for heading, code in blocks:
        print(f"--- {heading}", flush=True)
        namespace["__block__"] = code
        try:
            exec(compile(code, f"EXAMPLES.md: {heading}", "exec"), namespace)
            if heading in HOOKS:
                HOOKS[heading](namespace)
            print(f"BLOCK OK: {heading}", flush=True)
        except Exception:
            failures.append(heading)
            print(f"BLOCK FAILED: {heading}", flush=True)
            traceback.print_exc(file=sys.stdout)
            sys.stdout.flush()

    thread = namespace.get("heartbeat_thread")
    print(f"Heartbeat thread alive: {thread is not None and thread.is_alive()}", flush=True)
    code = server.close()
    print(f"MCP server exited with {code}", flush=True)
    if failures:
        print(f"FAILED BLOCKS: {', '.join(failures)}", flush=True)
        return 1
    print("ALL BLOCKS OK", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
