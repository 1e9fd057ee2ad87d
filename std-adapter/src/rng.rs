//! Randomness from the operating system: handshake nonces and mask keys.

use barews::connection::MaskKeys;
use std::io;

/// Mask keys from the OS random source, fetched 256 bytes (64 keys) at a
/// time so that a frame costs no system call.
///
/// If a later refill fails (which the OS practically never does once the
/// first one succeeded), the pool is refreshed by hashing the previous one
/// with SHA-1 and a counter: still unpredictable to the peer, who never
/// sees the pool.
#[derive(Clone)]
pub struct OsMasks {
    pool: [u8; 256],
    used: usize,
    refreshes: u64,
}

impl OsMasks {
    /// A key source seeded from the OS; fails if the OS has no randomness.
    pub fn new() -> io::Result<Self> {
        let mut pool = [0u8; 256];
        getrandom::fill(&mut pool).map_err(io::Error::other)?;
        Ok(OsMasks { pool, used: 0, refreshes: 0 })
    }

    fn refill(&mut self) {
        if getrandom::fill(&mut self.pool).is_err() {
            self.refreshes += 1;
            let mut sha = sha1_smol::Sha1::new();
            sha.update(&self.pool);
            sha.update(&self.refreshes.to_le_bytes());
            let digest = sha.digest().bytes();
            for (i, chunk) in self.pool.chunks_mut(20).enumerate() {
                for (j, byte) in chunk.iter_mut().enumerate() {
                    *byte ^= digest[(i + j) % 20].rotate_left(u32::try_from(i % 8).unwrap_or(0));
                }
            }
        }
        self.used = 0;
    }
}

impl MaskKeys for OsMasks {
    fn next_mask(&mut self) -> [u8; 4] {
        if self.used + 4 > self.pool.len() {
            self.refill();
        }
        let mut key = [0u8; 4];
        key.copy_from_slice(&self.pool[self.used..self.used + 4]);
        self.used += 4;
        key
    }
}

impl std::fmt::Debug for OsMasks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OsMasks")
    }
}

/// A fresh 16-byte handshake nonce from the OS.
pub(crate) fn nonce() -> io::Result<[u8; 16]> {
    let mut nonce = [0u8; 16];
    getrandom::fill(&mut nonce).map_err(io::Error::other)?;
    Ok(nonce)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_keep_coming_past_the_pool_size_and_vary() {
        let mut masks = OsMasks::new().unwrap();
        let keys: Vec<[u8; 4]> = (0..200).map(|_| masks.next_mask()).collect();
        let distinct: std::collections::HashSet<_> = keys.iter().collect();
        // 200 random 32-bit keys: a collision is all but impossible.
        assert!(distinct.len() > 190, "{} distinct keys", distinct.len());
    }
}
