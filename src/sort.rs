//! One stable sort for the whole program. The standard library's sorts
//! are instantiated anew for each element type and comparison, about 5 KiB
//! of machine code each; here the sorting is done once, on indices with a
//! `dyn` comparison, and each element type only adds the small loop that
//! moves its elements into place.

use std::cmp::Ordering;

/// Sort `v` stably by `cmp` (`slice::sort_by`'s result).
pub fn by<T>(v: &mut [T], mut cmp: impl FnMut(&T, &T) -> Ordering) {
    let order = {
        let v = &*v;
        indices(v.len(), &mut |a, b| match (v.get(a), v.get(b)) {
            (Some(x), Some(y)) => cmp(x, y),
            _ => Ordering::Equal,
        })
    };
    permute(v, order);
}

/// Sort `v` stably in its natural order (`slice::sort`'s result).
pub fn sort<T: Ord>(v: &mut [T]) {
    by(v, T::cmp);
}

/// Sort `v` stably by a key (`slice::sort_by_key`'s result).
pub fn by_key<T, K: Ord>(v: &mut [T], mut key: impl FnMut(&T) -> K) {
    by(v, |a, b| key(a).cmp(&key(b)));
}

/// `0..n` sorted stably by `cmp` on the indices.
#[inline(never)]
fn indices(n: usize, cmp: &mut dyn FnMut(usize, usize) -> Ordering) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| cmp(a, b));
    order
}

/// Put `v[order[k]]` at `k`, following each cycle of the permutation once.
fn permute<T>(v: &mut [T], mut order: Vec<usize>) {
    for start in 0..order.len() {
        let mut cur = start;
        while let Some(next) = order.get_mut(cur).map(|o| std::mem::replace(o, cur)) {
            if next == start || next == cur {
                break;
            }
            v.swap(cur, next);
            cur = next;
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn matches_the_standard_stable_sort() {
        let mut seed = 7u64;
        for n in [0usize, 1, 2, 3, 10, 100, 1000] {
            let v: Vec<(u8, usize)> = (0..n)
                .map(|i| {
                    seed = seed
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    ((seed >> 59) as u8, i)
                })
                .collect();
            let mut want = v.clone();
            want.sort_by_key(|p| p.0);
            let mut got = v.clone();
            super::by_key(&mut got, |p| p.0);
            assert_eq!(got, want, "n = {n}");
            let mut want = v.clone();
            want.sort_by(|a, b| b.cmp(a));
            let mut got = v;
            super::by(&mut got, |a, b| b.cmp(a));
            assert_eq!(got, want, "n = {n}");
        }
    }
}
