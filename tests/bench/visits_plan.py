"""Benchmark of the weekly visit planner (错时服务). ``make bench-visits``.

Prints figures; asserts nothing. A generated community (``tests/support/visit_community.py``):
5,000 care households in buildings of 20–60 over ~2 km² and 10 grids, care tags weekly /
fortnightly / monthly so that 1,500–2,000 visits are due this week; 10 grid workers, 4
community staff (walks start at the office), 150 party members paired with 300 households.
It plans the week and reports:

1. planning time (median of ``--repeat`` runs; target ≤ 60 s on 2 cores);
2. planned vs unplanned, with the reasons;
3. walking metres: the plan's routes vs the same visits walked in building-code order;
4. visits per person (min / median / max), overall and per kind.

Options: ``--households N``, ``--seed S``, ``--repeat R``, ``--workers W``, ``--solution-limit L``.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections import Counter

from server.visits.planner import Plan, PlannerOptions, plan_week
from tests.bench.run import machine, say
from tests.support.visit_community import generate


def spread(counts: list[int]) -> str:
    if not counts:
        return "-"
    return f"min {min(counts)} / median {statistics.median(counts):g} / max {max(counts)}"


def report(plan: Plan, kinds: dict[str, str], due: int) -> None:
    reasons = Counter(u.reason.value for u in plan.unplanned)
    say(f"planned:   {len(plan.planned):>5} of {due} ({len(plan.planned) / due:.0%})")
    say(f"unplanned: {len(plan.unplanned):>5}")
    for reason, n in reasons.most_common():
        say(f"  {reason:<28} {n:>5}")
    say(f"done (not re-planned): {len(plan.done)}")
    ratio = plan.walking_m / plan.baseline_m if plan.baseline_m else 1.0
    say(
        f"walking: {plan.walking_m / 1000:.1f} km planned vs {plan.baseline_m / 1000:.1f} km in "
        f"building-code order (same visits per walk): ratio {ratio:.3f}"
    )
    per_route = [len(r.visits) for r in plan.routes]
    say(f"walks: {len(plan.routes)}, visits per walk {spread(per_route)}")
    say(
        f"visits per person, all with availability: {spread(list(plan.visits_per_person.values()))}"
    )
    for kind in sorted(set(kinds.values())):
        counts = [n for pid, n in plan.visits_per_person.items() if kinds[pid] == kind]
        say(f"  {kind:<16} ({len(counts):>3}): {spread(counts)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workers", type=int, default=0, help="processes; 0 = up to 2")
    parser.add_argument("--solution-limit", type=int, default=PlannerOptions().solution_limit)
    args = parser.parse_args()

    say(f"machine: {machine()}")
    community = generate(seed=args.seed, households=args.households)
    visits, people = community.visits, community.people
    kinds = {p.id: p.kind.value for p in people}
    say(
        f"community: {community.households} care households in {community.buildings} buildings, "
        f"{len(visits)} visits due ({sum(v.paired_with is not None for v in visits)} paired), "
        f"people: {dict(Counter(kinds.values()))}"
    )
    room = Counter[str]()
    for p in people:
        room[p.kind.value] += len(p.availability) * p.capacity
    say(
        f"slot capacity (visits the people's windows could hold at most): {sum(room.values())} "
        f"{dict(room)}; party members only visit their paired households"
    )
    options = PlannerOptions(workers=args.workers, solution_limit=args.solution_limit)
    timings: list[float] = []
    plan: Plan | None = None
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        plan = plan_week(visits, people, options=options)
        timings.append(time.perf_counter() - t0)
        say(f"  planned in {timings[-1]:.1f} s")
    assert plan is not None
    say(f"planning time: median {statistics.median(timings):.1f} s of {len(timings)} runs")
    report(plan, kinds, len(visits))


if __name__ == "__main__":
    main()
