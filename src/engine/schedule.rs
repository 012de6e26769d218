//! The order of trials: which arm runs when. Pure functions of a seed, so an order can be
//! reproduced from meta.json.
//!
//! - **Counterbalanced** (the default): each round is one row of a Williams design (a Latin
//!   square balanced for first-order carry-over; Williams 1949). Over one complete cycle (k
//!   rounds for k arms, 2k when k is odd) every arm runs in every position equally often and
//!   follows every other arm equally often, so whatever a trial inherits from the one before
//!   it (a core still hot, a scheduler's placement history) falls on every arm alike. Symbols
//!   are mapped to arms by a seeded permutation, and the rows of each cycle run in a seeded
//!   order.
//! - **Round-robin**: the arms in their listed order every round (the old default; kept to
//!   measure the bias it causes).
//! - **Shuffled**: an independent seeded permutation every round.
//!
//! Arms are grouped in blocks (the arms one comparison needs: a variant's strategies and their
//! baseline). Blocks keep their arms back to back, so the two sides of a speedup are measured
//! seconds apart at most; the order of blocks within a round and of arms within a block both
//! follow the chosen order.

use crate::stats::SplitMix64;

/// How trials are ordered within each round.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Order {
    Counterbalanced,
    RoundRobin,
    Shuffled,
}

impl Order {
    pub fn name(self) -> &'static str {
        match self {
            Order::Counterbalanced => "counterbalanced",
            Order::RoundRobin => "round-robin",
            Order::Shuffled => "shuffled",
        }
    }
}

impl std::str::FromStr for Order {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim() {
            "counterbalanced" => Ok(Order::Counterbalanced),
            "round-robin" => Ok(Order::RoundRobin),
            "shuffle" | "shuffled" => Ok(Order::Shuffled),
            other => Err(format!(
                "unknown order '{other}' (expected counterbalanced, round-robin or shuffle)"
            )),
        }
    }
}

/// The rows of a Williams design for `k` symbols: k rows when k is even, 2k when it is odd
/// (the square and its mirror image). Row r of the square is the first row plus r (mod k);
/// the first row is 0, 1, k-1, 2, k-2, ...
pub fn williams_rows(k: usize) -> Vec<Vec<usize>> {
    if k == 0 {
        return Vec::new();
    }
    let mut first = Vec::with_capacity(k);
    let (mut lo, mut hi) = (0usize, k);
    for j in 0..k {
        if j % 2 == 0 {
            first.push(lo);
            lo += 1;
        } else {
            hi -= 1;
            first.push(hi);
        }
    }
    let square: Vec<Vec<usize>> = (0..k)
        .map(|r| first.iter().map(|&s| (s + r) % k).collect())
        .collect();
    if k.is_multiple_of(2) {
        square
    } else {
        let mirrored: Vec<Vec<usize>> = square
            .iter()
            .map(|row| row.iter().rev().copied().collect())
            .collect();
        square.into_iter().chain(mirrored).collect()
    }
}

/// One design over `k` items: hands out one row per round.
#[derive(Debug, Clone)]
struct Design {
    order: Order,
    k: usize,
    /// Symbol -> item.
    labels: Vec<usize>,
    /// The rows of the current cycle still to hand out (counterbalanced).
    pending: Vec<Vec<usize>>,
    rng: SplitMix64,
}

impl Design {
    fn new(order: Order, k: usize, mut rng: SplitMix64) -> Design {
        let mut labels: Vec<usize> = (0..k).collect();
        if order == Order::Counterbalanced {
            rng.shuffle(&mut labels);
        }
        Design {
            order,
            k,
            labels,
            pending: Vec::new(),
            rng,
        }
    }

    fn next_row(&mut self) -> Vec<usize> {
        match self.order {
            Order::RoundRobin => (0..self.k).collect(),
            Order::Shuffled => {
                let mut row: Vec<usize> = (0..self.k).collect();
                self.rng.shuffle(&mut row);
                row
            }
            Order::Counterbalanced => {
                if self.pending.is_empty() {
                    let mut rows = williams_rows(self.k);
                    self.rng.shuffle(&mut rows);
                    self.pending = rows;
                }
                let row = self.pending.pop().unwrap_or_default();
                row.into_iter().map(|s| self.labels[s]).collect()
            }
        }
    }
}

/// The order of every round, over arms grouped in blocks.
#[derive(Debug, Clone)]
pub struct Schedule {
    blocks: Vec<Vec<usize>>,
    outer: Design,
    inner: Vec<Design>,
}

impl Schedule {
    /// `blocks`: arm indices grouped by comparison (each block's arms run back to back).
    pub fn new(order: Order, seed: u64, blocks: Vec<Vec<usize>>) -> Schedule {
        let mut rng = SplitMix64::new(seed);
        let outer = Design::new(order, blocks.len(), SplitMix64::new(rng.next_u64()));
        let inner = blocks
            .iter()
            .map(|b| Design::new(order, b.len(), SplitMix64::new(rng.next_u64())))
            .collect();
        Schedule {
            blocks,
            outer,
            inner,
        }
    }

    /// The arm indices of the next round, in the order they run.
    pub fn next_round(&mut self) -> Vec<usize> {
        let mut order = Vec::new();
        for b in self.outer.next_row() {
            for i in self.inner[b].next_row() {
                order.push(self.blocks[b][i]);
            }
        }
        order
    }

    /// Rounds after which every block's design has completed whole cycles (the balance
    /// period): the least common multiple of the cycle lengths.
    pub fn balance_period(&self) -> usize {
        let cycle = |d: &Design| match (d.order, d.k % 2) {
            (Order::Counterbalanced, 0) => d.k.max(1),
            (Order::Counterbalanced, _) => 2 * d.k.max(1),
            _ => 1,
        };
        std::iter::once(&self.outer)
            .chain(&self.inner)
            .map(cycle)
            .fold(1, lcm)
    }
}

fn gcd(a: usize, b: usize) -> usize {
    if b == 0 { a } else { gcd(b, a % b) }
}

fn lcm(a: usize, b: usize) -> usize {
    a / gcd(a, b) * b
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Over one cycle: every item in every position equally often, and every ordered pair of
    /// distinct items adjacent equally often.
    fn assert_balanced(rows: &[Vec<usize>], k: usize) {
        let mut position = vec![vec![0usize; k]; k];
        let mut follows = vec![vec![0usize; k]; k];
        for row in rows {
            let mut sorted = row.clone();
            sorted.sort_unstable();
            assert_eq!(
                sorted,
                (0..k).collect::<Vec<_>>(),
                "not a permutation: {row:?}"
            );
            for (p, &x) in row.iter().enumerate() {
                position[x][p] += 1;
            }
            for w in row.windows(2) {
                follows[w[0]][w[1]] += 1;
            }
        }
        let per_position = rows.len() / k;
        let per_pair = rows.len() * (k - 1) / (k * (k - 1)).max(1);
        for x in 0..k {
            assert!(
                position[x].iter().all(|&c| c == per_position),
                "k={k} positions {position:?}"
            );
            for y in 0..k {
                if x != y {
                    assert_eq!(follows[x][y], per_pair, "k={k}: {x} then {y}: {follows:?}");
                }
            }
        }
    }

    #[test]
    fn williams_rows_are_balanced_for_every_size() {
        for k in 1..=17 {
            let rows = williams_rows(k);
            assert_eq!(rows.len(), if k % 2 == 0 { k } else { 2 * k });
            assert_balanced(&rows, k);
        }
    }

    #[test]
    fn a_counterbalanced_schedule_is_balanced_over_each_cycle() {
        for k in [2usize, 3, 4, 5, 8, 9] {
            let mut s = Schedule::new(Order::Counterbalanced, 42, vec![(0..k).collect()]);
            let period = s.balance_period();
            assert_eq!(period, if k % 2 == 0 { k } else { 2 * k });
            for _cycle in 0..3 {
                let rows: Vec<Vec<usize>> = (0..period).map(|_| s.next_round()).collect();
                assert_balanced(&rows, k);
            }
        }
    }

    #[test]
    fn round_robin_is_what_was_listed_and_shuffles_are_seeded() {
        let mut rr = Schedule::new(Order::RoundRobin, 1, vec![vec![0, 1, 2], vec![3, 4]]);
        assert_eq!(rr.next_round(), vec![0, 1, 2, 3, 4]);
        assert_eq!(rr.next_round(), vec![0, 1, 2, 3, 4]);
        let mut a = Schedule::new(Order::Shuffled, 9, vec![(0..6).collect()]);
        let mut b = Schedule::new(Order::Shuffled, 9, vec![(0..6).collect()]);
        let ra: Vec<_> = (0..5).map(|_| a.next_round()).collect();
        let rb: Vec<_> = (0..5).map(|_| b.next_round()).collect();
        assert_eq!(ra, rb);
        assert!(ra.iter().any(|r| r != &ra[0]));
    }

    #[test]
    fn blocks_stay_together_and_are_balanced_among_themselves() {
        let blocks = vec![vec![0, 1, 2, 3], vec![4, 5, 6, 7]];
        let mut s = Schedule::new(Order::Counterbalanced, 7, blocks.clone());
        let period = s.balance_period();
        assert_eq!(period, 4);
        let mut first_block = [0usize; 2];
        let mut inner_rows: Vec<Vec<usize>> = Vec::new();
        for _ in 0..period {
            let round = s.next_round();
            assert_eq!(round.len(), 8);
            let (head, tail) = round.split_at(4);
            let which = |part: &[usize]| blocks.iter().position(|b| b.contains(&part[0])).unwrap();
            let (hb, tb) = (which(head), which(tail));
            assert_ne!(hb, tb, "a block was split: {round:?}");
            assert!(head.iter().all(|x| blocks[hb].contains(x)));
            first_block[hb] += 1;
            let part = if hb == 0 { head } else { tail };
            inner_rows.push(part.to_vec());
        }
        assert_eq!(first_block, [2, 2]);
        assert_balanced(&inner_rows, 4);
    }

    #[test]
    fn orders_parse() {
        assert_eq!("shuffle".parse::<Order>(), Ok(Order::Shuffled));
        assert_eq!(
            "counterbalanced".parse::<Order>(),
            Ok(Order::Counterbalanced)
        );
        assert!("random".parse::<Order>().is_err());
    }
}
