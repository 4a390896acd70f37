//! The SHA-256 of the whole file and of every signed byte range, in one pass over the file.
//! Every /ByteRange starts at offset 0 (checked in `byte_range`), so each signed range's
//! first part is a prefix of the file: the running hash of the file is copied at the end of
//! each prefix and finished with that range's second part. A large scan is then read once,
//! not once per signature plus once for the report. Other digests are computed on request.

use std::collections::HashMap;

use openssl::sha::Sha256;

use crate::sign::DigestAlgorithm;

/// Precomputed digests of one file.
pub(crate) struct FileDigests<'a> {
    bytes: &'a [u8],
    file_sha256: [u8; 32],
    /// SHA-256 of the two parts of each range, by its /ByteRange.
    ranges: HashMap<[usize; 4], [u8; 32]>,
}

impl<'a> FileDigests<'a> {
    /// Hashes `bytes` once, taking the SHA-256 of every `ranges` entry ([0, a, b, c]: the
    /// parts `bytes[0..a]` and `bytes[b..b + c]`) on the way. Entries that do not start at 0
    /// or lie outside the file are left to [`FileDigests::digest`] to compute.
    pub fn new(bytes: &'a [u8], ranges: impl IntoIterator<Item = [usize; 4]>) -> FileDigests<'a> {
        let mut prefixes: Vec<[usize; 4]> = ranges
            .into_iter()
            .filter(|&[start, first, second, length]| {
                start == 0
                    && first <= bytes.len()
                    && second
                        .checked_add(length)
                        .is_some_and(|end| end <= bytes.len())
            })
            .collect();
        prefixes.sort_unstable();
        prefixes.dedup();
        let mut running = Sha256::new();
        let mut hashed = 0;
        let mut digests = HashMap::new();
        for range in prefixes {
            let [_, first, second, length] = range;
            running.update(&bytes[hashed..first]);
            hashed = first;
            let mut finished = running.clone();
            finished.update(&bytes[second..second + length]);
            digests.insert(range, finished.finish());
        }
        running.update(&bytes[hashed..]);
        FileDigests {
            bytes,
            file_sha256: running.finish(),
            ranges: digests,
        }
    }

    pub fn file_sha256(&self) -> [u8; 32] {
        self.file_sha256
    }

    /// The `algorithm` digest of the two `parts` of a /ByteRange, precomputed when it can be.
    pub fn digest(&self, algorithm: DigestAlgorithm, byte_range: [usize; 4]) -> Vec<u8> {
        if algorithm == DigestAlgorithm::Sha256
            && let Some(digest) = self.ranges.get(&byte_range)
        {
            return digest.to_vec();
        }
        let [a, b, c, d] = byte_range;
        match (
            self.bytes.get(a..a.saturating_add(b)),
            self.bytes.get(c..c.saturating_add(d)),
        ) {
            (Some(first), Some(second)) => algorithm.digest_parts(&[first, second]),
            // Ranges reach here only after `byte_range` checked them; an impossible one
            // digests to nothing, which matches no signature.
            _ => Vec::new(),
        }
    }

    /// The digest of a /ByteRange's two parts with any hash OpenSSL knows, for the older
    /// algorithms a file may use (`None` if OpenSSL refuses it or the range is impossible).
    pub fn digest_with(
        &self,
        hash: openssl::hash::MessageDigest,
        byte_range: [usize; 4],
    ) -> Option<Vec<u8>> {
        let [a, b, c, d] = byte_range;
        let first = self.bytes.get(a..a.saturating_add(b))?;
        let second = self.bytes.get(c..c.saturating_add(d))?;
        let mut hasher = openssl::hash::Hasher::new(hash).ok()?;
        hasher.update(first).ok()?;
        hasher.update(second).ok()?;
        hasher.finish().ok().map(|d| d.to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_pass_agrees_with_hashing_each_range() {
        let bytes: Vec<u8> = (0..100_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let ranges = [
            [0, 40_000, 40_100, 10_000],
            [0, 60_000, 61_000, 39_000],
            [0, 10, 20, 5],
            [5, 10, 20, 5],
            [0, 10, 99_999, 2],
        ];
        let digests = FileDigests::new(&bytes, ranges);
        assert_eq!(digests.file_sha256(), openssl::sha::sha256(&bytes));
        for [a, b, c, d] in ranges.into_iter().take(4) {
            for algorithm in [DigestAlgorithm::Sha256, DigestAlgorithm::Sha384] {
                assert_eq!(
                    digests.digest(algorithm, [a, b, c, d]),
                    algorithm.digest_parts(&[&bytes[a..a + b], &bytes[c..c + d]]),
                    "{a} {b} {c} {d} {algorithm:?}"
                );
            }
        }
        assert!(
            digests
                .digest(DigestAlgorithm::Sha256, [0, 10, 99_999, 2])
                .is_empty()
        );
    }
}
