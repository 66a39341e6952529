//! The workspace's RNGs (rand_core 0.6) as the RNG hpke 0.13 takes (rand_core 0.9): a trait
//! bridge that forwards every call, no randomness of its own.

/// A rand_core 0.6 RNG seen through rand_core 0.9's traits.
pub(crate) struct HpkeRng<'a, R>(pub(crate) &'a mut R);

impl<R: rand_core::RngCore> hpke_rand_core::RngCore for HpkeRng<'_, R> {
    fn next_u32(&mut self) -> u32 {
        self.0.next_u32()
    }

    fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }

    fn fill_bytes(&mut self, dst: &mut [u8]) {
        self.0.fill_bytes(dst);
    }
}

// A cryptographic RNG stays one through the bridge.
impl<R: rand_core::RngCore + rand_core::CryptoRng> hpke_rand_core::CryptoRng for HpkeRng<'_, R> {}
