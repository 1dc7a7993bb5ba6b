//! Work spread over every core, with results in a fixed order.

/// Makes `make(item)` for every item on every core, `per_core` items per
/// core at a time, and hands each result to `sink` in the items' order:
/// the output is the same whatever the number of cores, and only one
/// chunk of results is held at once. Stops at the first error of `sink`;
/// a panic in `make` is raised again here.
pub fn map_in_order<T: Sync, R: Send, E>(
    items: &[T],
    per_core: usize,
    make: impl Fn(&T) -> R + Sync,
    sink: impl FnMut(&T, R) -> Result<(), E>,
) -> Result<(), E> {
    map_in_order_with(items, per_core, || (), |_, item| make(item), sink)
}

/// As `map_in_order`, with a state of each worker's own (`state()` makes
/// it; `make` may keep what it learns there for its next items): the docs
/// give each worker one SQL generator per dialect, so that a series made
/// for one page is reused by the next.
pub fn map_in_order_with<T: Sync, S, R: Send, E>(
    items: &[T],
    per_core: usize,
    state: impl Fn() -> S + Sync,
    make: impl Fn(&mut S, &T) -> R + Sync,
    mut sink: impl FnMut(&T, R) -> Result<(), E>,
) -> Result<(), E> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get().min(8));
    for chunk in items.chunks(per_core * cores) {
        let per_worker = chunk.len().div_ceil(cores);
        let made: Vec<Vec<R>> = std::thread::scope(|scope| {
            let workers: Vec<_> = chunk
                .chunks(per_worker)
                .map(|part| {
                    scope.spawn(|| {
                        let mut state = state();
                        part.iter()
                            .map(|item| make(&mut state, item))
                            .collect::<Vec<R>>()
                    })
                })
                .collect();
            workers
                .into_iter()
                .map(|w| w.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
                .collect()
        });
        for (item, result) in chunk.iter().zip(made.into_iter().flatten()) {
            sink(item, result)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::map_in_order;

    #[test]
    fn results_come_in_the_items_order_and_errors_stop() {
        let items: Vec<u32> = (0..1000).collect();
        let mut seen = Vec::new();
        map_in_order(
            &items,
            3,
            |i| i * 2,
            |i, r| {
                seen.push((*i, r));
                Ok::<(), ()>(())
            },
        )
        .unwrap();
        assert_eq!(seen, items.iter().map(|i| (*i, i * 2)).collect::<Vec<_>>());

        let mut count = 0;
        let stopped = map_in_order(
            &items,
            3,
            |i| *i,
            |i, _| {
                count += 1;
                if *i == 10 {
                    Err(*i)
                } else {
                    Ok(())
                }
            },
        );
        assert_eq!((stopped, count), (Err(10), 11));
    }
}
