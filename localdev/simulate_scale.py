"""Simulation of the scale boundary: token grants and Salesforce requests at N concurrent chats, before/after.

::

    python -m localdev.simulate_scale [--chats 100 1000 10000] [--seed 1] [--json] [assumption flags]

A discrete-event simulation of one contact centre over two hours (the first warms the fleet up; the second is
measured). Chats arrive as a Poisson stream at ``N / chat length`` per second (Little's law: N chats in progress
on average). Each chat invokes CreateMessagingSession, then Routing; some are transferred (Routing again); the
bot-only ones end with a TranscriptIngestion invocation. Lambda runs each invocation on a free execution
environment of its function (the most recently used first) or starts a new one (a cold start); an environment
is retired after ``--idle-minutes`` without work or ``--lifetime-minutes`` of age. A revocation of the API user's
tokens and a campaign burst happen during the measured hour.

Two code bases are compared on the same arrivals:

``before``
    each environment grants its own token on its cold start, again when Salesforce refuses it (session
    timeout or revocation); transcripts are uploaded one request at a time; cold starts take longer.
``after`` (issue 8)
    one token for the fleet through the shared store: a cold environment reads the store, a grant happens only
    when the store's token has expired or was refused (once for the fleet); transcripts go up
    ``HISTORY_CONCURRENCY`` requests at a time after the newest batch.

Printed per N: chats per hour, cold starts, token grants per hour and in the worst minute (Salesforce's limit:
3,600 logins per user per hour, then ``LOGIN_RATE_EXCEEDED``; help.salesforce.com article 000381578), store
reads, Salesforce requests per second on average and in the busiest second. Deterministic for a seed. Exit
status: 0 ran, 2 bad arguments.
"""

from __future__ import annotations

import argparse
import heapq
import json
import math
import random
import sys
from collections import Counter
from dataclasses import asdict, dataclass, field

LOGIN_LIMIT_PER_HOUR = 3600
FUNCTIONS = ("CreateMessagingSession", "Routing", "TranscriptIngestion")


@dataclass(frozen=True)
class Assumptions:
    """What the simulation assumes (each a command-line flag; units in the names)."""

    chat_minutes: float = 10.0  # mean chat length (exponential)
    bot_only_fraction: float = 0.3  # chats that never reach an agent: their transcript is ingested
    transfer_fraction: float = 0.1  # chats transferred once (a second Routing call)
    messages_per_bot_chat: float = 30.0  # mean text messages of a bot-only transcript (Poisson)
    batch_size: int = 5  # HISTORY_BATCH_SIZE
    history_concurrency: int = 10  # HISTORY_CONCURRENCY (after)
    salesforce_rtt_s: float = 0.10  # one Salesforce request, answer included
    aws_call_s: float = 0.02  # one AWS call (secret, store, contact attributes)
    transcript_wait_s: float = 5.0  # until Connect has written the transcript to S3
    cold_init_before_s: float = 0.9  # a cold start's extra time before this issue (imports + grant)
    cold_init_after_s: float = 0.45  # after: imports at the floor, a store read instead of a grant
    routing_map_ttl_s: float = 300.0  # ROUTING_MAP_CACHE_TTL_SECONDS
    idle_minutes: float = 10.0  # an execution environment idle this long is retired (Lambda does not publish it)
    lifetime_minutes: float = 120.0  # ... and at this age at the latest (idem)
    token_lifetime_minutes: float = 120.0  # the org's session timeout: a token is refused after it
    revocation_at_minute: float = 90.0  # the API user's tokens are revoked (an admin, a password reset)
    burst_chats: int = 500  # a campaign: this many extra chats ...
    burst_seconds: float = 60.0  # ... arriving within this window (the campaign: 500 in a minute) ...
    burst_at_minute: float = 100.0  # ... at this time


@dataclass
class Environment:
    created: float
    last_used: float
    token_until: float = -1.0  # before: this environment's own token is valid until (s)
    token_epoch: int = -1  # after: the fleet token it holds (its generation)
    map_loaded: float = -1e9


@dataclass
class Tally:
    """What one code base caused during the measured hour."""

    invocations: Counter = field(default_factory=Counter)
    cold_starts: Counter = field(default_factory=Counter)
    peak_environments: Counter = field(default_factory=Counter)
    grants: int = 0
    grants_per_minute: Counter = field(default_factory=Counter)
    store_reads: int = 0
    secret_reads: int = 0
    salesforce_requests: int = 0
    requests_per_second: Counter = field(default_factory=Counter)


class Fleet:
    """The execution environments of one function: free ones (most recently used on top) and busy ones."""

    def __init__(self, a: Assumptions) -> None:
        self.a = a
        self.free: list[Environment] = []
        self.busy: list[tuple[float, int, Environment]] = []
        self._n = 0

    def acquire(self, t: float) -> tuple[Environment, bool]:
        while self.busy and self.busy[0][0] <= t:
            self.free.append(heapq.heappop(self.busy)[2])
        idle, age = self.a.idle_minutes * 60, self.a.lifetime_minutes * 60
        self.free = [e for e in self.free if t - e.last_used <= idle and t - e.created <= age]  # the rest retired
        if self.free:
            self.free.sort(key=lambda e: e.last_used)
            return self.free.pop(), False  # the most recently used
        return Environment(created=t, last_used=t), True

    def release(self, env: Environment, until: float) -> None:
        env.last_used = until
        self._n += 1
        heapq.heappush(self.busy, (until, self._n, env))

    def size(self) -> int:
        return len(self.free) + len(self.busy)


class World:
    """One code base (``after`` or not) running the same arrivals."""

    def __init__(self, a: Assumptions, after: bool, measure_from: float, measure_to: float) -> None:
        self.a = a
        self.after = after
        self.fleets = {f: Fleet(a) for f in FUNCTIONS}
        self.tally = Tally()
        self.m0, self.m1 = measure_from, measure_to
        self.revoked_at = a.revocation_at_minute * 60
        # the shared token (after): its generation and validity
        self.fleet_epoch = 0
        self.fleet_token_until = -1.0
        self.fleet_granted_at = -1.0

    def _measured(self, t: float) -> bool:
        return self.m0 <= t < self.m1

    def _request(self, t: float, n: int = 1) -> None:
        if self._measured(t):
            self.tally.salesforce_requests += n
            self.tally.requests_per_second[int(t)] += n

    def _grant(self, t: float) -> None:
        self._request(t)
        if self._measured(t):
            self.tally.grants += 1
            self.tally.grants_per_minute[int(t // 60)] += 1
            self.tally.secret_reads += 1

    def _token_valid(self, granted_at: float, until: float, t: float) -> bool:
        revoked = granted_at < self.revoked_at <= t
        return t < until and not revoked

    def _ensure_token(self, env: Environment, t: float) -> float:
        """Make sure ``env`` holds a valid token at ``t``; returns the time spent (s)."""
        a = self.a
        spent = 0.0
        if not self.after:
            granted_at = env.token_until - a.token_lifetime_minutes * 60
            if not self._token_valid(granted_at, env.token_until, t):
                if env.token_until >= 0:
                    self._request(t)  # the refused call that revealed it
                    spent += a.salesforce_rtt_s
                self._grant(t + spent)
                spent += a.aws_call_s + a.salesforce_rtt_s
                env.token_until = t + spent + a.token_lifetime_minutes * 60
            return spent
        # after: the environment holds the fleet token of some generation
        fleet_valid = self._token_valid(self.fleet_granted_at, self.fleet_token_until, t)
        if env.token_epoch == self.fleet_epoch and fleet_valid:
            return 0.0
        if env.token_epoch >= 0 and env.token_epoch == self.fleet_epoch and not fleet_valid:
            self._request(t)  # its call was refused: the first to see it replaces the token for the fleet
            spent += a.salesforce_rtt_s
        if not fleet_valid:
            self._grant(t + spent)  # single flight: one grant, written to the store
            spent += a.aws_call_s + a.salesforce_rtt_s
            self.fleet_epoch += 1
            self.fleet_granted_at = t + spent
            self.fleet_token_until = self.fleet_granted_at + a.token_lifetime_minutes * 60
        else:
            if self._measured(t):
                self.tally.store_reads += 1
            spent += a.aws_call_s
        env.token_epoch = self.fleet_epoch
        return spent

    def invoke(self, function: str, t: float, work: tuple[int, float]) -> None:
        """Run one invocation at ``t``: ``work`` = (Salesforce requests, extra seconds) of the warm path."""
        a = self.a
        fleet = self.fleets[function]
        env, cold = fleet.acquire(t)
        spent = (a.cold_init_after_s if self.after else a.cold_init_before_s) if cold else 0.0
        if self._measured(t):
            self.tally.invocations[function] += 1
            self.tally.cold_starts[function] += int(cold)
        spent += self._ensure_token(env, t + spent)
        requests, extra = work
        if function == "Routing" and t - env.map_loaded >= a.routing_map_ttl_s:
            env.map_loaded = t
            requests += 1  # the CallCenterRoutingMap query
        if function == "TranscriptIngestion":
            spent += a.transcript_wait_s
            self._request(t + spent, 1)  # the Conversation
            spent += a.salesforce_rtt_s
            batches = requests - 1
            rounds = 1 + math.ceil((batches - 1) / a.history_concurrency) if self.after and batches else batches
            per_round = [1] + [a.history_concurrency] * (rounds - 1) if self.after else [1] * batches
            left = batches
            for n in per_round:
                sent = min(n, left)
                self._request(t + spent, sent)
                left -= sent
                spent += a.salesforce_rtt_s
        else:
            for _ in range(requests):
                self._request(t + spent)
                spent += a.salesforce_rtt_s
        spent += extra
        fleet.release(env, t + spent)
        if self._measured(t):
            self.tally.peak_environments[function] = max(self.tally.peak_environments[function], fleet.size())


def arrivals(n_chats: int, a: Assumptions, horizon_s: float, rng: random.Random) -> list[tuple[float, str, tuple]]:
    """Every invocation of every chat over ``horizon_s``, time-ordered: (t, function, (requests, extra s))."""
    rate = n_chats / (a.chat_minutes * 60)
    events: list[tuple[float, str, tuple]] = []

    def chat(t0: float) -> None:
        length = rng.expovariate(1 / (a.chat_minutes * 60))
        events.append((t0, "CreateMessagingSession", (1, 0.01)))
        routed = t0 + 0.3 + a.salesforce_rtt_s
        events.append((routed, "Routing", (1, 0.01)))
        if rng.random() < a.transfer_fraction:
            events.append((routed + rng.uniform(30, max(31, length)), "Routing", (1, 0.01)))
        if rng.random() < a.bot_only_fraction:
            messages = max(1, _poisson(rng, a.messages_per_bot_chat))
            batches = math.ceil(messages / a.batch_size)
            events.append((t0 + length + 1.0, "TranscriptIngestion", (1 + batches, 0.05)))

    t = 0.0
    while True:
        t += rng.expovariate(rate)
        if t >= horizon_s:
            break
        chat(t)
    start = a.burst_at_minute * 60
    for _ in range(a.burst_chats):
        chat(start + rng.uniform(0, a.burst_seconds))
    events.sort(key=lambda e: e[0])
    return events


def _poisson(rng: random.Random, mean: float) -> int:
    # Knuth for small means, normal approximation above
    if mean > 50:
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit, k, p = math.exp(-mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def simulate(n_chats: int, a: Assumptions, seed: int) -> dict:
    """Both code bases on the same arrivals; the measured hour is the second one."""
    rng = random.Random(seed * 1_000_003 + n_chats)
    horizon = 2 * 3600.0
    events = arrivals(n_chats, a, horizon, rng)
    result: dict = {"chats": n_chats}
    for label, after in (("before", False), ("after", True)):
        world = World(a, after, 3600.0, horizon)
        for t, function, work in events:
            world.invoke(function, t, work)
        tally = world.tally
        result[label] = {
            "invocations": dict(tally.invocations),
            "cold_starts_per_hour": dict(tally.cold_starts),
            "peak_environments": dict(tally.peak_environments),
            "token_grants_per_hour": tally.grants,
            "token_grants_worst_minute": max(tally.grants_per_minute.values(), default=0),
            "secret_reads_per_hour": tally.secret_reads,
            "store_reads_per_hour": tally.store_reads,
            "salesforce_requests_per_hour": tally.salesforce_requests,
            "salesforce_requests_per_s_mean": round(tally.salesforce_requests / 3600, 1),
            "salesforce_requests_per_s_peak": max(tally.requests_per_second.values(), default=0),
            "login_limit_exceeded": tally.grants > LOGIN_LIMIT_PER_HOUR,
        }
    result["chats_per_hour"] = round(n_chats / a.chat_minutes * 60 + a.burst_chats)
    return result


def print_table(results: list[dict], a: Assumptions) -> None:
    """A Markdown table (the one in docs/scale.md)."""
    print(
        "| concurrent chats | chats/h | code | cold starts/h (CMS / Routing / Ingestion) | peak environments | "
        "token grants/h | grants in the worst minute | store reads/h | Salesforce req/s mean | busiest second |"
    )
    print("|" + "---|" * 10)
    for r in results:
        for label in ("before", "after"):
            d = r[label]
            cold = " / ".join(str(d["cold_starts_per_hour"].get(f, 0)) for f in FUNCTIONS)
            peak = " / ".join(str(d["peak_environments"].get(f, 0)) for f in FUNCTIONS)
            over = " (over 3,600)" if d["login_limit_exceeded"] else ""
            print(
                f"| {r['chats']:,} | {r['chats_per_hour']:,} | {label} | {cold} | {peak} | "
                f"{d['token_grants_per_hour']:,}{over} | {d['token_grants_worst_minute']:,} | "
                f"{d['store_reads_per_hour']:,} | {d['salesforce_requests_per_s_mean']} | "
                f"{d['salesforce_requests_per_s_peak']:,} |"
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m localdev.simulate_scale",
        description="Token grants and Salesforce requests per second at N concurrent chats, before and after "
        "issue 8's shared token and concurrent transcript upload (a discrete-event simulation; assumptions are "
        "flags, printed with the results).",
        epilog="Exit status: 0 ran, 2 bad arguments.",
    )
    parser.add_argument("--chats", type=int, nargs="+", default=[100, 1000, 10000], help="default 100 1000 10000")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1): same seed, same figures")
    parser.add_argument("--json", action="store_true", help="print the assumptions and figures as JSON")
    defaults = Assumptions()
    for name, value in asdict(defaults).items():
        parser.add_argument(f"--{name.replace('_', '-')}", type=type(value), default=value, help=f"default {value}")
    args = parser.parse_args(argv)
    if min(args.chats) < 1:
        parser.error("--chats must be at least 1")
    values = {name: getattr(args, name) for name in asdict(defaults)}
    if any(v < 0 for v in values.values()) or values["history_concurrency"] < 1 or values["batch_size"] < 1:
        parser.error("assumptions must be non-negative; --history-concurrency and --batch-size at least 1")
    if values["chat_minutes"] <= 0:
        parser.error("--chat-minutes must be positive")
    a = Assumptions(**values)
    results = []
    for n in args.chats:
        print(f"simulating {n:,} concurrent chats (2 hours)", file=sys.stderr, flush=True)
        results.append(simulate(n, a, args.seed))
    if args.json:
        print(json.dumps({"assumptions": asdict(a), "seed": args.seed, "results": results}, indent=2))
        return 0
    print_table(results, a)
    print(f"\nAssumptions (seed {args.seed}): " + ", ".join(f"{k}={v}" for k, v in asdict(a).items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
