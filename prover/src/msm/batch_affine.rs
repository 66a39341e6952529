//! Bucket sums in batch-affine form.
//!
//! Adding two affine points costs one inversion, one square and two multiplications:
//! `l = (y2 - y1) / (x2 - x1)`, `x3 = l^2 - x1 - x2`, `y3 = l (x1 - x3) - y1`. With
//! Montgomery's trick, one inversion serves a whole batch of independent additions (3
//! multiplications each), so an addition costs about 6 multiplications instead of the 10 of a
//! mixed addition into an extended-Jacobian bucket (ark-ec's).
//!
//! The additions of a batch must be independent, which adding points one by one into buckets
//! is not (two points of one batch may hit the same bucket). So the points of a window are
//! first sorted by bucket (a counting sort, done by the caller) and each bucket's run is summed
//! as a tree: every round adds adjacent pairs of the same bucket, all pairs of the round being
//! independent, until each bucket holds one point. A bucket of `k` points still takes `k - 1`
//! additions; there are no conflicts to queue and the runs are read sequentially.
//!
//! The affine formula cannot add `P + P` or `P + (-P)` (`x1 = x2`): such pairs go into a
//! per-bucket projective accumulator instead, whose formulas handle doubling and cancellation.
//!
//! A window's result `sum (b + 1) * bucket[b]` is itself reduced to two bucket sums of the
//! buckets (grouped by the high and by the low half of their weight), done the same way, and
//! two short running sums; see [`BucketSummer::split_weighted_sum`]. Running sums and the rare
//! projective additions use ark-ec's extended-Jacobian [`Bucket`] (`xyzz`) coordinates: 10
//! multiplications for a mixed addition and 14 for a full one.

use ark_ec::{
    short_weierstrass::{Affine, Bucket, Projective, SWCurveConfig},
    AdditiveGroup, AffineRepr, PrimeGroup,
};
use ark_ff::{Field, One, Zero};

/// Additions sharing one inversion. An inversion costs about 250 multiplications here, so
/// 1024 brings its share to a quarter of a multiplication per addition (of about 6), while the
/// batch's prefix products (32 KiB in G1, 64 KiB in G2) stay in the L2 cache.
const BATCH: usize = 1024;

/// Fewest buckets whose weighted sum is worth splitting (see
/// `BucketSummer::split_weighted_sum`): below, the running sum's two additions per bucket cost
/// less than the split's sorting and inversions.
const MIN_SPLIT_REDUCTION: usize = 256;

/// Marks an entry whose base is to be negated; the other bits index the bases.
pub(crate) const NEGATE: usize = 1 << (usize::BITS - 1);

/// The point an entry names: `bases[entry]`, negated when the [`NEGATE`] bit is set.
#[inline]
fn entry_point<P: SWCurveConfig>(bases: &[Affine<P>], entry: usize) -> Affine<P> {
    let p = bases[entry & !NEGATE];
    if entry & NEGATE == 0 {
        p
    } else {
        -p
    }
}

/// A batch of independent affine additions `src[i] + src[i + 1]` sharing one inversion.
struct BatchAdder<P: SWCurveConfig> {
    /// Pending additions: the index `i` of the first summand in `src`, and the slot of the
    /// sum in `out`.
    lanes: Vec<(usize, usize)>,
    /// Prefix products of the denominators.
    prefix: Vec<P::BaseField>,
}

impl<P: SWCurveConfig> BatchAdder<P> {
    fn new() -> Self {
        Self {
            lanes: Vec::with_capacity(BATCH),
            prefix: Vec::with_capacity(BATCH),
        }
    }

    /// Queues `src[i] + src[i + 1]` (distinct x, neither the identity) for `out[slot]`;
    /// performs the batch when it is full.
    #[inline]
    fn push(&mut self, i: usize, slot: usize, src: &[Affine<P>], out: &mut [Affine<P>]) {
        self.lanes.push((i, slot));
        if self.lanes.len() >= BATCH {
            self.flush(src, out);
        }
    }

    /// Performs the queued additions with one shared inversion.
    fn flush(&mut self, src: &[Affine<P>], out: &mut [Affine<P>]) {
        self.prefix.clear();
        let mut product = P::BaseField::one();
        for &(i, _) in &self.lanes {
            self.prefix.push(product);
            product *= src[i + 1].x - src[i].x;
        }
        // Every denominator is non-zero (equal x never becomes a lane); should the inversion
        // still fail, the sums are computed projectively rather than lost.
        let Some(mut inverse) = product.inverse() else {
            for &(i, slot) in &self.lanes {
                out[slot] = (src[i] + src[i + 1]).into();
            }
            self.lanes.clear();
            return;
        };
        for (&(i, slot), prefix) in self.lanes.iter().zip(&self.prefix).rev() {
            let (p, q) = (&src[i], &src[i + 1]);
            let dx = q.x - p.x;
            let dx_inverse = inverse * prefix;
            inverse *= dx;
            let slope = (q.y - p.y) * dx_inverse;
            let x3 = slope.square() - p.x - q.x;
            let y3 = slope * (p.x - x3) - p.y;
            out[slot] = Affine::new_unchecked(x3, y3);
        }
        self.lanes.clear();
    }
}

/// `sum (b + 1) * bucket[b]` over one window's buckets, accumulated one range of buckets at a
/// time (so the points in flight stay few enough for the caches).
pub(crate) struct WeightedSum<P: SWCurveConfig> {
    total: Projective<P>,
}

impl<P: SWCurveConfig> WeightedSum<P> {
    pub(crate) fn new() -> Self {
        Self {
            total: Projective::zero(),
        }
    }

    pub(crate) fn finish(self) -> Projective<P> {
        self.total
    }
}

/// `(sum (k + 1) * x_k, sum x_k)` over `affine[k]` plus `overflow[k]` (when not empty), by a
/// running sum from the top down (`x_k` is added into `running` once and `running` into
/// `total` `k + 1` times): two extended-Jacobian additions per entry.
fn running_sum<P: SWCurveConfig>(
    affine: &[Affine<P>],
    overflow: &[Bucket<P>],
) -> (Bucket<P>, Bucket<P>) {
    let mut running = Bucket::<P>::ZERO;
    let mut total = Bucket::<P>::ZERO;
    for k in (0..affine.len()).rev() {
        // Adding an empty entry, or into an empty sum, costs no field operation.
        running += &affine[k];
        if let Some(extra) = overflow.get(k) {
            running += extra;
        }
        total += &running;
    }
    (total, running)
}

/// Sums points per bucket; its buffers are reused from one range (and window) to the next,
/// which spares the page faults of fresh allocations.
pub(crate) struct BucketSummer<P: SWCurveConfig> {
    /// The current round's points, sorted by bucket (the caller fills the first round's).
    points: Vec<Affine<P>>,
    buckets: Vec<u32>,
    rounds: Rounds<P>,
    /// A window's bucket sums while their weighted sum is computed.
    level: Vec<Affine<P>>,
}

impl<P: SWCurveConfig> BucketSummer<P> {
    pub(crate) fn new() -> Self {
        Self {
            points: Vec::new(),
            buckets: Vec::new(),
            rounds: Rounds {
                affine: Vec::new(),
                overflow: Vec::new(),
                next_points: Vec::new(),
                next_buckets: Vec::new(),
                adder: BatchAdder::new(),
            },
            level: Vec::new(),
        }
    }

    /// Buffers of `len` points and their buckets, for the caller to fill sorted by bucket.
    pub(crate) fn input(&mut self, len: usize) -> (&mut [Affine<P>], &mut [u32]) {
        resize_input(&mut self.points, &mut self.buckets, len)
    }

    /// Adds the weighted sum of the input's buckets `0 .. count`, standing for buckets
    /// `lo .. lo + count` of the window, to `sum`.
    pub(crate) fn sum_range(&mut self, count: usize, lo: usize, sum: &mut WeightedSum<P>) {
        self.bucket_sums(count);
        let (weighted, plain) = if self.rounds.overflow.is_empty() && count >= MIN_SPLIT_REDUCTION {
            self.split_weighted_sum(count)
        } else {
            let (weighted, plain) = running_sum(&self.rounds.affine, &self.rounds.overflow);
            (weighted.into(), plain.into())
        };
        // Bucket lo + b weighs lo + b + 1: the running sums gave the b + 1.
        sum.total += weighted;
        if lo > 0 && !plain.is_zero() {
            sum.total += plain.mul_bigint([lo as u64]);
        }
    }

    /// `(sum (b + 1) * B_b, sum B_b)` over the buckets `B_b` just summed into `rounds.affine`,
    /// for many buckets. With `b + 1 = high * 2^h + low`, the weighted sum is
    /// `2^h * sum_k k * G_k + sum_j j * H_j`, where `G_k` sums the buckets with `high = k` and
    /// `H_j` those with `low = j`. `G` and `H` are bucket sums again, done in batch-affine form
    /// (one addition of about 6 multiplications per bucket each), and their weighted sums are
    /// running sums over only about `2^h` and `count / 2^h` entries: about 12 multiplications
    /// per bucket instead of the 24 of a running sum over all buckets.
    fn split_weighted_sum(&mut self, count: usize) -> (Projective<P>, Projective<P>) {
        std::mem::swap(&mut self.level, &mut self.rounds.affine);
        let nonempty = self.level.iter().filter(|p| !p.is_zero()).count();
        // Weights b + 1 run up to `count`: split their bits in halves.
        let weight_bits = (usize::BITS - count.leading_zeros()) as usize;
        let h = weight_bits.div_ceil(2);
        let low_mask = (1usize << h) - 1;

        // G: buckets grouped by the high half of their weight, which keeps them sorted.
        let level = &self.level;
        let (points, groups) = resize_input(&mut self.points, &mut self.buckets, nonempty);
        for ((p, g), (b, bucket)) in points
            .iter_mut()
            .zip(groups.iter_mut())
            .zip(level.iter().enumerate().filter(|(_, p)| !p.is_zero()))
        {
            *p = *bucket;
            // Fits: (b + 1) >> h < 2^16.
            *g = ((b + 1) >> h) as u32;
        }
        let high_groups = (count >> h) + 1;
        self.bucket_sums(high_groups);
        let (high_weighted, plain) = running_sum(&self.rounds.affine, &self.rounds.overflow);

        // H: buckets grouped by the low half of their weight (a counting sort).
        let mut next = vec![0usize; low_mask + 2];
        for (b, _) in self.level.iter().enumerate().filter(|(_, p)| !p.is_zero()) {
            next[((b + 1) & low_mask) + 1] += 1;
        }
        for j in 1..next.len() {
            next[j] += next[j - 1];
        }
        let level = &self.level;
        let (points, groups) = resize_input(&mut self.points, &mut self.buckets, nonempty);
        for (b, bucket) in level.iter().enumerate().filter(|(_, p)| !p.is_zero()) {
            let j = (b + 1) & low_mask;
            points[next[j]] = *bucket;
            // Fits: j < 2^16.
            groups[next[j]] = j as u32;
            next[j] += 1;
        }
        self.bucket_sums(low_mask + 1);
        let (low_weighted, low_plain) = running_sum(&self.rounds.affine, &self.rounds.overflow);

        // The running sums weigh group k by k + 1: take one of each group off.
        let mut high: Projective<P> = high_weighted.into();
        high -= Projective::from(plain);
        for _ in 0..h {
            high.double_in_place();
        }
        let mut low: Projective<P> = low_weighted.into();
        low -= Projective::from(low_plain);
        (high + low, plain.into())
    }

    /// The sum of all the input's points (whose buckets must all be 0).
    pub(crate) fn sum_input(&mut self) -> Projective<P> {
        self.bucket_sums(1);
        let mut total = Bucket::<P>::ZERO;
        for p in &self.rounds.affine {
            total += p;
        }
        for p in &self.rounds.overflow {
            total += p;
        }
        total.into()
    }

    /// Each bucket's sum of the input, into `rounds.affine` (plus `rounds.overflow` when not
    /// empty), as a tree of batched affine additions; consumes the input.
    fn bucket_sums(&mut self, count: usize) {
        let rounds = &mut self.rounds;
        rounds.affine.clear();
        rounds.affine.resize(count, Affine::identity());
        rounds.overflow.clear();
        while !self.points.is_empty() {
            rounds.round(&self.points, &self.buckets);
            std::mem::swap(&mut self.points, &mut rounds.next_points);
            std::mem::swap(&mut self.buckets, &mut rounds.next_buckets);
        }
    }
}

/// `points` and `buckets` resized to `len`, to be overwritten entirely (so stale contents are
/// fine).
fn resize_input<'a, P: SWCurveConfig>(
    points: &'a mut Vec<Affine<P>>,
    buckets: &'a mut Vec<u32>,
    len: usize,
) -> (&'a mut [Affine<P>], &'a mut [u32]) {
    points.resize(len, Affine::identity());
    buckets.resize(len, 0);
    (points, buckets)
}

/// The sum of the points `entries` name (see [`NEGATE`]), as a tree of batched affine
/// additions.
pub(crate) fn sum_points<P: SWCurveConfig>(
    bases: &[Affine<P>],
    entries: &[usize],
) -> Projective<P> {
    let mut summer = BucketSummer::new();
    let (points, buckets) = summer.input(entries.len());
    for (p, &e) in points.iter_mut().zip(entries) {
        *p = entry_point(bases, e);
    }
    buckets.fill(0);
    summer.sum_input()
}

/// The state of one bucket-sum computation across its rounds.
struct Rounds<P: SWCurveConfig> {
    /// Each bucket's final affine sum (identity when empty).
    affine: Vec<Affine<P>>,
    /// Each bucket's projective part; empty until first needed.
    overflow: Vec<Bucket<P>>,
    /// The next round's input, sorted by bucket.
    next_points: Vec<Affine<P>>,
    next_buckets: Vec<u32>,
    adder: BatchAdder<P>,
}

impl<P: SWCurveConfig> Rounds<P> {
    /// One round over the points `src` sorted by `buckets`: adjacent pairs of one bucket are
    /// added (batched), a point alone in its bucket is final, the odd one of a longer run waits
    /// for the next round.
    fn round(&mut self, src: &[Affine<P>], buckets: &[u32]) {
        self.next_points.clear();
        self.next_buckets.clear();
        let len = src.len().min(buckets.len());
        let mut i = 0;
        while i < len {
            let b = buckets[i];
            if i + 1 < len && buckets[i + 1] == b {
                let (p, q) = (&src[i], &src[i + 1]);
                if p.x == q.x || p.is_zero() || q.is_zero() {
                    // P + P or P + (-P) (or a stray identity): the projective formulas
                    // handle them.
                    if self.overflow.is_empty() {
                        self.overflow.resize(self.affine.len(), Bucket::ZERO);
                    }
                    self.overflow[b as usize] += p;
                    self.overflow[b as usize] += q;
                } else {
                    let slot = self.next_points.len();
                    // A placeholder for the sum.
                    self.next_points.push(Affine::identity());
                    self.next_buckets.push(b);
                    self.adder.push(i, slot, src, &mut self.next_points);
                }
                i += 2;
            } else {
                if i == 0 || buckets[i - 1] != b {
                    // Alone in its bucket: final.
                    self.affine[b as usize] = src[i];
                } else {
                    // The odd one of a run: joins the run's pair sums next round.
                    self.next_points.push(src[i]);
                    self.next_buckets.push(b);
                }
                i += 1;
            }
        }
        self.adder.flush(src, &mut self.next_points);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_bn254::{Fr, G1Affine, G1Projective};
    use ark_ec::{CurveGroup, PrimeGroup};
    use ark_ff::{UniformRand, Zero};
    use rand::SeedableRng;
    use rand_chacha::ChaCha20Rng;

    type Config = ark_bn254::g1::Config;

    /// `sum (b + 1) * p` the slow way.
    fn expected(adds: &[(u32, G1Affine)]) -> G1Projective {
        adds.iter().map(|&(b, p)| p * Fr::from(b as u64 + 1)).sum()
    }

    fn run(count: usize, adds: &[(u32, G1Affine)]) -> G1Projective {
        let mut sorted_adds = adds.to_vec();
        sorted_adds.sort_by_key(|&(b, _)| b);
        let bases: Vec<G1Affine> = sorted_adds.iter().map(|&(_, p)| p).collect();
        let buckets: Vec<u32> = sorted_adds.iter().map(|&(b, _)| b).collect();
        let negated: Vec<G1Affine> = bases.iter().map(|p| -*p).collect();
        let points: Vec<G1Affine> = (0..bases.len())
            .map(|i| if i % 2 == 0 { bases[i] } else { -negated[i] })
            .collect();
        // In two ranges: buckets count/2.., then ..count/2.
        let split = count / 2;
        let cut = buckets.partition_point(|&b| (b as usize) < split);
        let mut sum = WeightedSum::<Config>::new();
        let mut summer = BucketSummer::new();
        let (p, b) = summer.input(points.len() - cut);
        p.copy_from_slice(&points[cut..]);
        for (out, &bucket) in b.iter_mut().zip(&buckets[cut..]) {
            *out = bucket - split as u32;
        }
        summer.sum_range(count - split, split, &mut sum);
        let (p, b) = summer.input(cut);
        p.copy_from_slice(&points[..cut]);
        b.copy_from_slice(&buckets[..cut]);
        summer.sum_range(split, 0, &mut sum);
        sum.finish()
    }

    #[test]
    fn random_points() {
        let mut rng = ChaCha20Rng::seed_from_u64(1);
        let adds: Vec<_> = (0..3000u32)
            .map(|i| ((i * 7919) % 300, G1Projective::rand(&mut rng).into_affine()))
            .collect();
        assert_eq!(run(300, &adds), expected(&adds));
        // Ranges of 600 buckets: the split reduction.
        let adds: Vec<_> = (0..5000u32)
            .map(|i| {
                (
                    (i * 7919) % 1200,
                    G1Projective::rand(&mut rng).into_affine(),
                )
            })
            .collect();
        assert_eq!(run(1200, &adds), expected(&adds));
        // Sparse: most buckets empty.
        assert_eq!(run(1200, &adds[..40]), expected(&adds[..40]));
        assert_eq!(run(300, &adds[..1]), expected(&adds[..1]));
        assert_eq!(run(300, &[]), G1Projective::zero());
    }

    #[test]
    fn doubling_cancellation_and_one_bucket() {
        let g = G1Projective::generator().into_affine();
        let h = (G1Projective::generator() * Fr::from(5u64)).into_affine();
        // P + P, P + (-P), then re-fill, all in bucket 0; plus crowds in buckets 1 and 3.
        let mut adds = vec![(0, g), (0, g), (0, -g), (0, -g), (0, h), (0, -h), (0, g)];
        adds.extend((0..1000).map(|i| (3, if i % 3 == 0 { h } else { -g })));
        adds.extend((0..1000).map(|_| (1, g)));
        assert_eq!(run(64, &adds), expected(&adds));
        // Points summing to the identity at every level of the tree.
        let cancel: Vec<_> = (0..1024)
            .map(|i| (7, if i % 2 == 0 { h } else { -h }))
            .collect();
        assert_eq!(run(8, &cancel), G1Projective::zero());
    }

    #[test]
    fn sum_of_points() {
        let mut rng = ChaCha20Rng::seed_from_u64(2);
        let points: Vec<G1Affine> = (0..1500)
            .map(|_| G1Projective::rand(&mut rng).into_affine())
            .collect();
        let expected: G1Projective = points.iter().map(|p| p.into_group()).sum();
        let entries: Vec<usize> = (0..points.len()).collect();
        assert_eq!(sum_points(&points, &entries), expected);
        let negated: Vec<usize> = (0..points.len()).map(|i| i | NEGATE).collect();
        assert_eq!(sum_points(&points, &negated), -expected);
        assert_eq!(sum_points::<Config>(&points, &[]), G1Projective::zero());
    }
}
