"""localdev.simulate_scale: deterministic for a seed, and the shared token's grants do not grow with the fleet."""

from __future__ import annotations

from localdev.simulate_scale import LOGIN_LIMIT_PER_HOUR, Assumptions, simulate


def test_the_same_seed_gives_the_same_figures() -> None:
    a = Assumptions(burst_chats=50)
    assert simulate(100, a, seed=7) == simulate(100, a, seed=7)


def test_a_slow_burst_makes_every_environment_grant_before_but_the_fleet_grants_once_after() -> None:
    a = Assumptions(salesforce_rtt_s=1.5, burst_seconds=5, burst_chats=300, token_lifetime_minutes=60)
    result = simulate(100, a, seed=1)
    before, after = result["before"], result["after"]
    cold = sum(before["cold_starts_per_hour"].values())
    assert before["token_grants_per_hour"] >= cold  # one per cold environment, plus re-grants
    assert after["token_grants_per_hour"] <= 2  # one per token lifetime, one after the revocation
    assert after["store_reads_per_hour"] >= sum(after["cold_starts_per_hour"].values())
    assert not after["login_limit_exceeded"]
    assert LOGIN_LIMIT_PER_HOUR == 3600


def test_requests_are_the_same_work_whatever_the_upload_order() -> None:
    result = simulate(200, Assumptions(burst_chats=0), seed=3)
    grants = result["before"]["token_grants_per_hour"] - result["after"]["token_grants_per_hour"]
    difference = result["before"]["salesforce_requests_per_hour"] - result["after"]["salesforce_requests_per_hour"]
    # apart from grants and refused calls, the transcripts cost the same requests sent sequentially or not
    assert 0 <= difference <= 2 * grants + 5
