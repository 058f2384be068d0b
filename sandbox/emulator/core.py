"""Shared pieces: errors, clock, ids, call counts, fault injection."""
from __future__ import annotations

import base64
import datetime as _dt
import hashlib
import ipaddress
import json
import random
import string
import threading
import time
from typing import Any



class AwsError(Exception):
    """An error answered to the client as the AWS JSON protocol does."""

    def __init__(self, code: str, message: str = "", status: int = 400):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status


class Clock:
    """Wall clock plus an operator-controlled offset (POST /_emulator/clock)."""

    def __init__(self) -> None:
        self.offset = 0.0

    def now(self) -> float:
        return time.time() + self.offset

    def advance(self, seconds: float) -> float:
        self.offset += float(seconds)
        return self.now()

    def reset(self) -> None:
        self.offset = 0.0

    def iso(self, ts: float | None = None) -> str:
        ts = self.now() if ts is None else ts
        return _dt.datetime.fromtimestamp(ts, _dt.timezone.utc).isoformat()


class Ids:
    """Identifier generator; deterministic when the emulator has a seed."""

    def __init__(self, seed: int | None = None) -> None:
        self.seed = seed
        self.rng = random.Random(seed) if seed is not None else random.SystemRandom()
        self.lock = threading.Lock()

    def reset(self) -> None:
        if self.seed is not None:
            self.rng = random.Random(self.seed)

    def hex(self, n: int) -> str:
        with self.lock:
            return f"{self.rng.getrandbits(4 * n):0{n}x}"

    def digits(self, n: int) -> str:
        with self.lock:
            return "".join(self.rng.choice(string.digits) for _ in range(n))

    def chars(self, n: int, alphabet: str) -> str:
        with self.lock:
            return "".join(self.rng.choice(alphabet) for _ in range(n))

    def uuid(self) -> str:
        h = self.hex(32)
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:32]}"


class Counts:
    """Per-operation call counts, keys `service.Operation`."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.data: dict[str, int] = {}

    def inc(self, key: str) -> None:
        with self.lock:
            self.data[key] = self.data.get(key, 0) + 1

    def snapshot(self) -> dict[str, int]:
        with self.lock:
            return dict(sorted(self.data.items()))

    def reset(self) -> None:
        with self.lock:
            self.data.clear()


def _unit(seed: Any, key: str, n: int, what: str) -> float:
    digest = hashlib.blake2b(f"{seed}|{key}|{n}|{what}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2.0**64


class Faults:
    """Fault rules. The first rule matching service and operation applies.

    Rule: {"service": "ecs"|"*", "operation": "ListTasks"|"*",
           "throttle_rate": 0..1, "error_rate": 0..1, "error_status": 500,
           "latency_ms": 0}
    The decision for the n-th call of an operation depends only on
    (seed, "service.Operation", n), so a run is reproducible under a seed
    whatever the thread interleaving of *different* operations.
    """

    FIELDS = {"service", "operation", "throttle_rate", "error_rate", "error_status", "latency_ms"}

    def __init__(self, default_seed: int | None = None) -> None:
        self.lock = threading.Lock()
        self.default_seed = default_seed
        self.seed: Any = default_seed
        self.rules: list[dict[str, Any]] = []
        self.calls: dict[str, int] = {}
        self.injected: dict[str, int] = {}

    @staticmethod
    def parse(spec: Any) -> dict[str, Any]:
        if spec is None:
            return {"rules": []}
        if isinstance(spec, (str, bytes)):
            spec = json.loads(spec)
        if isinstance(spec, list):
            spec = {"rules": spec}
        if not isinstance(spec, dict):
            raise ValueError("faults must be a JSON object {\"seed\": S, \"rules\": [...]}")
        rules = spec.get("rules", [])
        if not isinstance(rules, list):
            raise ValueError("faults.rules must be a list")
        clean = []
        for rule in rules:
            if not isinstance(rule, dict):
                raise ValueError("each fault rule must be an object")
            unknown = set(rule) - Faults.FIELDS
            if unknown:
                raise ValueError(f"unknown fault rule keys: {sorted(unknown)}")
            r = {
                "service": str(rule.get("service", "*")).lower(),
                "operation": str(rule.get("operation", "*")),
                "throttle_rate": float(rule.get("throttle_rate", 0.0)),
                "error_rate": float(rule.get("error_rate", 0.0)),
                "error_status": int(rule.get("error_status", 500)),
                "latency_ms": float(rule.get("latency_ms", 0)),
            }
            for k in ("throttle_rate", "error_rate"):
                if not 0.0 <= r[k] <= 1.0:
                    raise ValueError(f"{k} must be within 0..1")
            if not 500 <= r["error_status"] <= 599:
                raise ValueError("error_status must be 5xx")
            if r["latency_ms"] < 0:
                raise ValueError("latency_ms must be >= 0")
            clean.append(r)
        out: dict[str, Any] = {"rules": clean}
        if "seed" in spec:
            out["seed"] = spec["seed"]
        return out

    def set(self, spec: Any) -> None:
        parsed = self.parse(spec)
        with self.lock:
            self.rules = parsed["rules"]
            self.seed = parsed.get("seed", self.default_seed)
            if self.seed is None:
                self.seed = random.SystemRandom().randrange(2**31)
            self.calls = {}
            self.injected = {}

    def clear(self) -> None:
        with self.lock:
            self.rules = []
            self.calls = {}
            self.injected = {}

    def describe(self) -> dict[str, Any]:
        with self.lock:
            return {"seed": self.seed, "rules": list(self.rules), "injected": dict(self.injected)}

    def decide(self, service: str, operation: str) -> tuple[float, str | None, int]:
        """-> (latency seconds, "throttle"|"error"|None, error status)."""
        if not self.rules:
            return 0.0, None, 0
        with self.lock:
            rule = None
            for r in self.rules:
                if r["service"] in ("*", service) and r["operation"] in ("*", operation):
                    rule = r
                    break
            if rule is None:
                return 0.0, None, 0
            key = f"{service}.{operation}"
            n = self.calls.get(key, 0)
            self.calls[key] = n + 1
            kind = None
            if rule["throttle_rate"] and _unit(self.seed, key, n, "throttle") < rule["throttle_rate"]:
                kind = "throttle"
            elif rule["error_rate"] and _unit(self.seed, key, n, "error") < rule["error_rate"]:
                kind = "error"
            if kind:
                ik = f"{key}.{kind}"
                self.injected[ik] = self.injected.get(ik, 0) + 1
            return rule["latency_ms"] / 1000.0, kind, rule["error_status"]


def b64token(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"o": offset}).encode()).decode()


def parse_token(token: str | None, error_code: str) -> int:
    if not token:
        return 0
    try:
        value = json.loads(base64.urlsafe_b64decode(token.encode()).decode())["o"]
        if not isinstance(value, int) or value < 0:
            raise ValueError(token)
        return value
    except (ValueError, KeyError, TypeError) as exc:
        raise AwsError(error_code, "The specified token isn't valid.") from exc


def paginate(items: list, max_results: int | None, token: str | None, error_code: str,
             default: int, maximum: int) -> tuple[list, str | None]:
    start = parse_token(token, error_code)
    size = default if not max_results else max_results
    size = min(size, maximum)
    page = items[start:start + size]
    nxt = b64token(start + size) if start + size < len(items) else None
    return page, nxt


def check_bind(host: str) -> None:
    """Refuse bind addresses other than loopback or a private (docker network) address."""
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        if host != "localhost":
            raise ValueError(f"bind address must be an IP address, got {host!r}") from None
        return
    if ip.is_unspecified:
        raise ValueError("refusing to bind to all interfaces; use 127.0.0.1 or the project's docker gateway")
    if not (ip.is_loopback or ip.is_private):
        raise ValueError(f"refusing to bind to non-local address {host}")
