//! Bucket accumulation in batch-affine form.
//!
//! Adding an affine point to an affine bucket costs one inversion, one square and two
//! multiplications: `l = (y2 - y1) / (x2 - x1)`, `x3 = l^2 - x1 - x2`, `y3 = l (x1 - x3) - y1`.
//! With Montgomery's trick, one inversion serves a whole batch of independent additions
//! (3 multiplications per element), so a bucket addition costs about 6 multiplications instead
//! of the 11 of a mixed Jacobian addition.
//!
//! Additions in one batch must target distinct buckets. A point whose bucket already has an
//! addition pending waits in a small queue for the next batch; when the queue is full, it goes
//! into a per-bucket projective overflow accumulator instead, so no input (all points in one
//! bucket, say) can make batches degenerate. The affine formula cannot add `P + P` or
//! `P + (-P)` (`x1 = x2`): those rare additions also go to the projective overflow, whose
//! formulas handle doubling and cancellation.

use ark_ec::{
    short_weierstrass::{Affine, Projective, SWCurveConfig},
    AffineRepr,
};
use ark_ff::{Field, One, Zero};

/// Most additions sharing one inversion. An inversion costs roughly 100 multiplications, so
/// beyond a few hundred the saving is negligible while the batch's scratch leaves the L1 cache.
const MAX_BATCH: usize = 256;

/// Fewest additions sharing one inversion.
const MIN_BATCH: usize = 16;

/// A batch may hold at most `buckets / BUCKETS_PER_LANE` additions: with fewer buckets per
/// lane, collisions (points waiting for a busy bucket) grow quadratically.
const BUCKETS_PER_LANE: usize = 8;

/// Queue length, as a fraction of the batch size, before points overflow into projective form.
const QUEUE_DIVISOR: usize = 2;

/// One window's buckets: bucket `k` holds the sum of the points with digit `k + 1`.
pub(crate) struct Buckets<P: SWCurveConfig> {
    /// Affine part of each bucket (`Affine::identity()` when empty).
    affine: Vec<Affine<P>>,
    /// Whether the bucket has an addition in the current batch.
    busy: Vec<bool>,
    /// Projective part of each bucket, allocated on first use.
    overflow: Vec<Projective<P>>,
    /// The current batch: bucket indices and the points to add to them.
    lane_bucket: Vec<usize>,
    lane_point: Vec<Affine<P>>,
    /// Prefix products of the batch's denominators.
    prefix: Vec<P::BaseField>,
    /// Points waiting for a busy bucket.
    queue: Vec<(usize, Affine<P>)>,
    /// One past the highest bucket ever touched: the reduction starts there.
    top: usize,
    batch: usize,
    queue_cap: usize,
}

impl<P: SWCurveConfig> Buckets<P> {
    /// `count` empty buckets.
    pub(crate) fn new(count: usize) -> Self {
        let batch = (count / BUCKETS_PER_LANE).clamp(MIN_BATCH, MAX_BATCH);
        let queue_cap = batch / QUEUE_DIVISOR;
        Self {
            affine: vec![Affine::identity(); count],
            busy: vec![false; count],
            overflow: Vec::new(),
            lane_bucket: Vec::with_capacity(batch),
            lane_point: Vec::with_capacity(batch),
            prefix: Vec::with_capacity(batch),
            queue: Vec::with_capacity(queue_cap),
            top: 0,
            batch,
            queue_cap,
        }
    }

    /// Adds `point` (not the identity) to bucket `bucket` (`< count`).
    #[inline]
    pub(crate) fn add(&mut self, bucket: usize, point: Affine<P>) {
        self.top = self.top.max(bucket + 1);
        if self.busy[bucket] {
            if self.queue.len() < self.queue_cap {
                self.queue.push((bucket, point));
            } else {
                self.add_projective(bucket, &point);
            }
            return;
        }
        self.place(bucket, point);
        if self.lane_bucket.len() >= self.batch {
            self.flush();
        }
    }

    /// Adds `point` to the projective overflow of `bucket`.
    fn add_projective(&mut self, bucket: usize, point: &Affine<P>) {
        if self.overflow.is_empty() {
            self.overflow = vec![Projective::zero(); self.affine.len()];
        }
        self.overflow[bucket] += point;
    }

    /// Adds `point` to the idle `bucket`: directly when the bucket is empty, projectively when
    /// the affine formula does not apply, else as a lane of the current batch.
    #[inline]
    fn place(&mut self, bucket: usize, point: Affine<P>) {
        let current = &self.affine[bucket];
        if current.is_zero() {
            self.affine[bucket] = point;
        } else if current.x == point.x {
            // P + P or P + (-P).
            self.add_projective(bucket, &point);
        } else {
            self.busy[bucket] = true;
            self.lane_bucket.push(bucket);
            self.lane_point.push(point);
        }
    }

    /// Performs the pending additions with one shared inversion, then moves queued points
    /// whose buckets became idle into the next batch.
    fn flush(&mut self) {
        self.prefix.clear();
        let mut product = P::BaseField::one();
        for (&b, p) in self.lane_bucket.iter().zip(&self.lane_point) {
            self.prefix.push(product);
            product *= p.x - self.affine[b].x;
        }
        // Every denominator is non-zero (equal x never becomes a lane); should the inversion
        // still fail, the lanes are added projectively rather than lost.
        match product.inverse() {
            Some(mut inverse) => {
                for k in (0..self.lane_bucket.len()).rev() {
                    let b = self.lane_bucket[k];
                    let p = &self.lane_point[k];
                    let q = &self.affine[b];
                    let dx = p.x - q.x;
                    let dx_inverse = inverse * self.prefix[k];
                    inverse *= dx;
                    let slope = (p.y - q.y) * dx_inverse;
                    let x3 = slope.square() - q.x - p.x;
                    let y3 = slope * (q.x - x3) - q.y;
                    self.affine[b] = Affine::new_unchecked(x3, y3);
                    self.busy[b] = false;
                }
            }
            None => {
                for k in 0..self.lane_bucket.len() {
                    let b = self.lane_bucket[k];
                    let p = self.lane_point[k];
                    self.add_projective(b, &p);
                    self.busy[b] = false;
                }
            }
        }
        self.lane_bucket.clear();
        self.lane_point.clear();

        // The queue is shorter than a batch, so draining it cannot fill the batch.
        let mut queue = std::mem::take(&mut self.queue);
        queue.retain(|&(b, p)| {
            if self.busy[b] {
                true
            } else {
                self.place(b, p);
                false
            }
        });
        self.queue = queue;
    }

    /// `sum (k + 1) * bucket[k]`, by the running-sum method: `2 * top` projective additions.
    pub(crate) fn finish(mut self) -> Projective<P> {
        while !self.lane_bucket.is_empty() || !self.queue.is_empty() {
            self.flush();
        }
        let mut running = Projective::<P>::zero();
        let mut total = Projective::<P>::zero();
        for b in (0..self.top).rev() {
            running += &self.affine[b];
            if let Some(extra) = self.overflow.get(b) {
                running += extra;
            }
            total += &running;
        }
        total
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_bn254::{G1Affine, G1Projective};
    use ark_ec::{CurveGroup, PrimeGroup};
    use ark_ff::UniformRand;
    use rand::SeedableRng;
    use rand_chacha::ChaCha20Rng;

    /// `sum (k + 1) * bucket[k]` the slow way.
    fn expected(adds: &[(usize, G1Affine)]) -> G1Projective {
        adds.iter()
            .map(|&(b, p)| p * ark_bn254::Fr::from(b as u64 + 1))
            .sum()
    }

    fn run(count: usize, adds: &[(usize, G1Affine)]) -> G1Projective {
        let mut buckets = Buckets::<ark_bn254::g1::Config>::new(count);
        for &(b, p) in adds {
            buckets.add(b, p);
        }
        buckets.finish()
    }

    #[test]
    fn random_points() {
        let mut rng = ChaCha20Rng::seed_from_u64(1);
        let adds: Vec<_> = (0..3000)
            .map(|i| ((i * 7919) % 300, G1Projective::rand(&mut rng).into_affine()))
            .collect();
        assert_eq!(run(300, &adds), expected(&adds));
    }

    #[test]
    fn doubling_cancellation_and_one_bucket() {
        let g = G1Projective::generator().into_affine();
        let h = (G1Projective::generator() * ark_bn254::Fr::from(5u64)).into_affine();
        // P + P, P + (-P), then re-fill, all in bucket 0; plus a crowd in bucket 3.
        let mut adds = vec![(0, g), (0, g), (0, -g), (0, -g), (0, h), (0, -h), (0, g)];
        adds.extend((0..1000).map(|i| (3, if i % 3 == 0 { h } else { -g })));
        adds.extend((0..1000).map(|_| (1, g)));
        assert_eq!(run(64, &adds), expected(&adds));
    }
}
