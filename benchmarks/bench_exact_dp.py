"""Time the lost-sales DP on Zipkin's (2008) 16 cells: Poisson(5), h = 1.

    python benchmarks/bench_exact_dp.py
"""

from __future__ import annotations

import time

from invrl.exact import lost_sales_optimum

ZIPKIN = {4: [4.04, 4.40, 4.60, 4.73], 9: [5.44, 6.09, 6.53, 6.84], 19: [6.68, 7.66, 8.36, 8.89], 39: [7.84, 9.11, 10.04, 10.79]}


def main() -> None:
    print(f"{'p':>3} {'L':>2} {'cost':>9} {'Zipkin':>7} {'cap':>4} {'iters':>5} {'seconds':>8}")
    total = 0.0
    for p, published in ZIPKIN.items():
        for lead_time in range(1, 5):
            start = time.perf_counter()
            opt = lost_sales_optimum(5.0, lead_time, float(p))
            seconds = time.perf_counter() - start
            total += seconds
            flag = "" if round(opt.cost, 2) == published[lead_time - 1] else "  MISMATCH"
            print(f"{p:>3} {lead_time:>2} {opt.cost:>9.4f} {published[lead_time - 1]:>7.2f} {opt.max_inventory:>4} "
                  f"{opt.iterations:>5} {seconds:>8.3f}{flag}")
    print(f"total {total:.2f} s")


if __name__ == "__main__":
    main()
