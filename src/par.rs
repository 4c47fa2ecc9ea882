//! Deterministic data parallelism over slices of firm data.
//!
//! Per-firm updates touch only their own firm, so any split gives the same
//! result. Reductions fold fixed chunks of `CHUNK` firms and combine the
//! partial results in chunk order, sequentially: the floating-point sums
//! are the same at every thread count (and with `parallel` off).

use rayon::prelude::*;
use std::ops::Range;

/// Firms per chunk. Fixed: the reductions' rounding depends on it, the
/// thread count does not.
pub const CHUNK: usize = 4096;

/// Below this many firms a table is done on the calling thread: rayon's
/// hand-off costs more than it saves (measured: 1e3 and 1e4 firms tick no
/// faster on 2 threads). Results do not depend on it.
pub const PARALLEL_MIN: usize = 4 * CHUNK;

fn chunk(c: usize, len: usize) -> Range<usize> {
    c * CHUNK..((c + 1) * CHUNK).min(len)
}

/// Calls `f(i, &mut a[i])` for every index, on the rayon pool when
/// `parallel`.
pub fn for_each<A, F>(parallel: bool, a: &mut [A], f: F)
where
    A: Send,
    F: Fn(usize, &mut A) + Sync + Send,
{
    if parallel && a.len() >= PARALLEL_MIN {
        a.par_chunks_mut(CHUNK).enumerate().for_each(|(c, a)| {
            let start = c * CHUNK;
            a.iter_mut().enumerate().for_each(|(i, x)| f(start + i, x));
        });
    } else {
        a.iter_mut().enumerate().for_each(|(i, x)| f(i, x));
    }
}

/// Calls `f(i, &mut a[i], &mut b[i])` for every index. `a` and `b` have the
/// same length.
pub fn for_each2<A, B, F>(parallel: bool, a: &mut [A], b: &mut [B], f: F)
where
    A: Send,
    B: Send,
    F: Fn(usize, &mut A, &mut B) + Sync + Send,
{
    let each = |range: Range<usize>, a: &mut [A], b: &mut [B]| {
        for ((i, x), y) in range.zip(a).zip(b) {
            f(i, x, y);
        }
    };
    fold2(parallel, a, b, each, |()| {});
}

/// Runs `fold` over each chunk of `a` and hands the results to `combine`
/// in chunk order: `fold(range, a)` gets the chunk's range of indices and
/// its part of `a`.
pub fn fold<A, P, F, C>(parallel: bool, a: &mut [A], fold: F, mut combine: C)
where
    A: Send,
    P: Send,
    F: Fn(Range<usize>, &mut [A]) -> P + Sync + Send,
    C: FnMut(P),
{
    let len = a.len();
    if parallel && len >= PARALLEL_MIN {
        let partials: Vec<P> = a
            .par_chunks_mut(CHUNK)
            .enumerate()
            .map(|(c, a)| fold(chunk(c, len), a))
            .collect();
        partials.into_iter().for_each(combine);
    } else {
        for (c, a) in a.chunks_mut(CHUNK).enumerate() {
            combine(fold(chunk(c, len), a));
        }
    }
}

/// Runs `fold` over each chunk of `a` and `b` (same length) and hands the
/// results to `combine` in chunk order: `fold(range, a,
/// b)` gets the chunk's range of indices and its parts of `a` and `b`, and
/// the results go to `combine` in chunk order.
pub fn fold2<A, B, P, F, C>(parallel: bool, a: &mut [A], b: &mut [B], fold: F, mut combine: C)
where
    A: Send,
    B: Send,
    P: Send,
    F: Fn(Range<usize>, &mut [A], &mut [B]) -> P + Sync + Send,
    C: FnMut(P),
{
    debug_assert_eq!(a.len(), b.len());
    let len = a.len();
    if parallel && len >= PARALLEL_MIN {
        let partials: Vec<P> = a
            .par_chunks_mut(CHUNK)
            .zip(b.par_chunks_mut(CHUNK))
            .enumerate()
            .map(|(c, (a, b))| fold(chunk(c, len), a, b))
            .collect();
        partials.into_iter().for_each(combine);
    } else {
        for (c, (a, b)) in a.chunks_mut(CHUNK).zip(b.chunks_mut(CHUNK)).enumerate() {
            combine(fold(chunk(c, len), a, b));
        }
    }
}

/// Folds `0..len` in chunks of `CHUNK` with `fold` (on the rayon pool when
/// `parallel`) and hands each chunk's result to `combine` in chunk order.
pub fn reduce<P, F, C>(parallel: bool, len: usize, fold: F, mut combine: C)
where
    P: Send,
    F: Fn(Range<usize>) -> P + Sync + Send,
    C: FnMut(P),
{
    let chunks = len.div_ceil(CHUNK);
    if parallel && len >= PARALLEL_MIN {
        let partials: Vec<P> = (0..chunks)
            .into_par_iter()
            .map(|c| fold(chunk(c, len)))
            .collect();
        partials.into_iter().for_each(combine);
    } else {
        (0..chunks).for_each(|c| combine(fold(chunk(c, len))));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reductions_are_the_same_in_parallel_and_in_sequence() {
        // Values whose float sum depends on the order of addition.
        let xs: Vec<f64> = (0..50_000)
            .map(|i| ((i * 7919) % 1000) as f64 * 1e-3 + if i % 3 == 0 { 1e9 } else { 0.0 })
            .collect();
        let sum = |parallel| {
            let mut total = 0.0;
            reduce(
                parallel,
                xs.len(),
                |r| xs[r].iter().sum::<f64>(),
                |p| total += p,
            );
            total
        };
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(4)
            .build()
            .unwrap();
        let parallel = pool.install(|| sum(true));
        assert_eq!(parallel.to_bits(), sum(false).to_bits());
        let sum2 = |parallel| {
            let (mut a, mut b) = (xs.clone(), vec![0u8; xs.len()]);
            let mut total = 0.0;
            fold2(
                parallel,
                &mut a,
                &mut b,
                |_, a, _| a.iter().sum::<f64>(),
                |p| total += p,
            );
            total
        };
        assert_eq!(pool.install(|| sum2(true)).to_bits(), sum(false).to_bits());
        assert_eq!(sum2(false).to_bits(), sum(false).to_bits());
        // and it is a real sum
        let naive: f64 = xs.iter().sum();
        assert!((parallel - naive).abs() / naive < 1e-12);
    }

    #[test]
    fn every_index_is_visited_once_with_its_own_element() {
        let mut a: Vec<usize> = vec![0; PARALLEL_MIN + 5];
        let mut b: Vec<usize> = vec![0; a.len()];
        for_each2(true, &mut a, &mut b, |i, x, y| {
            *x += i;
            *y += 1;
        });
        assert!(a.iter().enumerate().all(|(i, &x)| x == i));
        assert!(b.iter().all(|&y| y == 1));
        for_each(true, &mut a, |i, x| *x -= i);
        assert!(a.iter().all(|&x| x == 0));
    }
}
