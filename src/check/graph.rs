//! Cycle finding in the dependency graphs (derived metrics, links).
//! Iterative, so a chain of 12,000 metrics cannot overflow the stack.

/// Finds cycles in a directed graph of `n` nodes. Returns, for each cycle
/// found, its nodes in order (each cycle reported once, starting from its
/// smallest node index, so the result is deterministic).
pub fn cycles(n: usize, edges: &[Vec<usize>]) -> Vec<Vec<usize>> {
    #[derive(Clone, Copy, PartialEq)]
    enum State {
        New,
        Active,
        Done,
    }
    let mut state = vec![State::New; n];
    let mut found = Vec::new();
    for root in 0..n {
        if state[root] != State::New {
            continue;
        }
        // Stack of (node, next edge index); `path` mirrors the active nodes.
        let mut stack = vec![(root, 0usize)];
        state[root] = State::Active;
        while let Some(&mut (node, ref mut next)) = stack.last_mut() {
            if let Some(&to) = edges[node].get(*next) {
                *next += 1;
                match state[to] {
                    State::New => {
                        state[to] = State::Active;
                        stack.push((to, 0));
                    }
                    State::Active => {
                        let start = stack
                            .iter()
                            .position(|&(n, _)| n == to)
                            .expect("active node is on the stack");
                        let mut cycle: Vec<usize> =
                            stack[start..].iter().map(|&(n, _)| n).collect();
                        let min = cycle
                            .iter()
                            .enumerate()
                            .min_by_key(|(_, &n)| n)
                            .map(|(i, _)| i)
                            .unwrap_or(0);
                        cycle.rotate_left(min);
                        if !found.contains(&cycle) {
                            found.push(cycle);
                        }
                    }
                    State::Done => {}
                }
            } else {
                state[node] = State::Done;
                stack.pop();
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::cycles;

    #[test]
    fn finds_a_cycle_once() {
        let edges = vec![vec![1], vec![2], vec![0], vec![0]];
        assert_eq!(cycles(4, &edges), vec![vec![0, 1, 2]]);
    }

    #[test]
    fn self_loop_is_a_cycle() {
        assert_eq!(cycles(2, &[vec![], vec![1]]), vec![vec![1]]);
    }

    #[test]
    fn long_chains_do_not_overflow() {
        let n = 200_000;
        let edges: Vec<Vec<usize>> = (0..n)
            .map(|i| if i + 1 < n { vec![i + 1] } else { vec![] })
            .collect();
        assert!(cycles(n, &edges).is_empty());
    }
}
