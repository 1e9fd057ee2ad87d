//! Length-limited Huffman codes (RFC 1951 section 3.2.2): code lengths
//! from symbol frequencies, and the canonical codes those lengths define.

/// The most symbols a DEFLATE alphabet has (literal/length: 288).
const MAX_SYMBOLS: usize = 288;

/// Computes a code length for every symbol of `freqs` (0 for a symbol that
/// never occurs) into `lengths`, none longer than `limit`. At least two
/// symbols get a code, so that every code is complete: when fewer occur,
/// the first unused symbols are given one. Frequencies are flattened
/// until the longest code fits the limit; `false` if it never did (an
/// alphabet too large for the limit, which DEFLATE's are not).
pub(super) fn code_lengths(freqs: &[u16], limit: u8, lengths: &mut [u8]) -> bool {
    let count = freqs.len().min(MAX_SYMBOLS).min(lengths.len());
    let mut weights = [0u16; MAX_SYMBOLS];
    weights[..count].copy_from_slice(&freqs[..count]);
    let mut used = weights[..count].iter().filter(|&&w| w > 0).count();
    for weight in &mut weights[..count] {
        if used >= 2 {
            break;
        }
        if *weight == 0 {
            *weight = 1;
            used += 1;
        }
    }
    // Sixteen halvings bring any u16 weights to 1: a balanced tree.
    for _ in 0..17 {
        if build(&weights[..count], &mut lengths[..count]) <= limit {
            return true;
        }
        // Halve every weight (keeping it above zero) and build again: the
        // tree flattens, the ratio barely moves.
        for weight in weights[..count].iter_mut().filter(|w| **w > 0) {
            *weight = (*weight >> 1) | 1;
        }
    }
    false
}

/// The next lightest node: a leaf (`next_leaf` below `leaves`) or an inner
/// node (`next_inner` below `made`), advancing that queue.
fn take_lightest(
    weight: &[u32],
    leaves: usize,
    made: usize,
    next_leaf: &mut usize,
    next_inner: &mut usize,
) -> usize {
    let leaf_first =
        *next_leaf < leaves && (*next_inner >= made || weight[*next_leaf] <= weight[*next_inner]);
    let queue = if leaf_first { next_leaf } else { next_inner };
    *queue += 1;
    *queue - 1
}

/// Builds a Huffman tree over the non-zero `weights` (at least two) and
/// writes each symbol's depth into `lengths`; returns the largest.
fn build(weights: &[u16], lengths: &mut [u8]) -> u8 {
    // The symbols in use, lightest first.
    let mut order = [0u16; MAX_SYMBOLS];
    let mut leaves = 0;
    for (symbol, &weight) in weights.iter().enumerate() {
        if weight > 0 {
            order[leaves] = u16::try_from(symbol).unwrap_or_default();
            leaves += 1;
        }
    }
    order[..leaves].sort_unstable_by_key(|&symbol| (weights[usize::from(symbol)], symbol));
    // Nodes: the leaves in that order, then the inner nodes as they are
    // made, which come out in order of weight (two queues).
    let mut weight = [0u32; 2 * MAX_SYMBOLS];
    let mut parent = [0u16; 2 * MAX_SYMBOLS];
    for (node, &symbol) in order[..leaves].iter().enumerate() {
        weight[node] = u32::from(weights[usize::from(symbol)]);
    }
    let (mut next_leaf, mut next_inner, mut made) = (0, leaves, leaves);
    while made < 2 * leaves - 1 {
        let first = take_lightest(&weight, leaves, made, &mut next_leaf, &mut next_inner);
        let second = take_lightest(&weight, leaves, made, &mut next_leaf, &mut next_inner);
        weight[made] = weight[first] + weight[second];
        let made16 = u16::try_from(made).unwrap_or_default();
        parent[first] = made16;
        parent[second] = made16;
        made += 1;
    }
    // Depths from the root (the last node) down: a parent comes after its
    // children, so walking backwards meets it first.
    let mut depth = [0u8; 2 * MAX_SYMBOLS];
    let root = made - 1;
    for node in (0..root).rev() {
        depth[node] = depth[usize::from(parent[node])] + 1;
    }
    lengths.fill(0);
    let mut longest = 0;
    for (node, &symbol) in order[..leaves].iter().enumerate() {
        lengths[usize::from(symbol)] = depth[node];
        longest = longest.max(depth[node]);
    }
    longest
}

/// The canonical code of each symbol for `lengths` (RFC 1951 section
/// 3.2.2), bit-reversed for the least-significant-first stream, with its
/// length: `codes[symbol] = (code, length)`.
pub(super) fn canonical(lengths: &[u8], codes: &mut [(u16, u8)]) {
    let mut count = [0u16; 16];
    for &len in lengths {
        count[usize::from(len & 15)] += 1;
    }
    count[0] = 0;
    let mut next = [0u16; 16];
    let mut code = 0u16;
    for bits in 1..16 {
        code = (code + count[bits - 1]) << 1;
        next[bits] = code;
    }
    for (symbol, &len) in lengths.iter().enumerate() {
        if len > 0 && len < 16 {
            let bits = usize::from(len);
            let value = next[bits];
            next[bits] += 1;
            if let Some(slot) = codes.get_mut(symbol) {
                *slot = (value.reverse_bits() >> (16 - u32::from(len)), len);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Kraft's sum of `lengths` scaled by 2^15: 2^15 for a complete code.
    fn kraft(lengths: &[u8]) -> u32 {
        lengths.iter().filter(|&&l| l > 0).map(|&l| 1u32 << (15 - l)).sum()
    }

    #[test]
    fn codes_are_complete_and_within_the_limit_for_skewed_frequencies() {
        // Fibonacci weights make the deepest possible tree.
        let mut freqs = [0u16; 30];
        let (mut a, mut b) = (1u16, 1u16);
        for f in freqs.iter_mut().take(24) {
            *f = a;
            let next = a.saturating_add(b);
            a = b;
            b = next;
        }
        for limit in [7u8, 9, 15] {
            let mut lengths = [0u8; 30];
            assert!(code_lengths(&freqs, limit, &mut lengths));
            assert!(lengths.iter().all(|&l| l <= limit), "{lengths:?}");
            assert_eq!(kraft(&lengths), 1 << 15, "limit {limit}: {lengths:?}");
            assert!(lengths[..24].iter().all(|&l| l > 0));
        }
    }

    #[test]
    fn one_or_no_symbol_still_gets_a_complete_two_symbol_code() {
        let mut lengths = [0u8; 30];
        assert!(code_lengths(&[0; 30], 15, &mut lengths));
        assert_eq!(kraft(&lengths), 1 << 15);
        let mut freqs = [0u16; 30];
        freqs[7] = 9;
        assert!(code_lengths(&freqs, 15, &mut lengths));
        assert_eq!(lengths[7], 1);
        assert_eq!(kraft(&lengths), 1 << 15);
    }

    #[test]
    fn canonical_codes_follow_rfc_1951_example() {
        // RFC 1951 section 3.2.2: lengths (3, 3, 3, 3, 3, 2, 4, 4) give
        // F=00, A=010 ... E=110, G=1110, H=1111.
        let lengths = [3u8, 3, 3, 3, 3, 2, 4, 4];
        let mut codes = [(0u16, 0u8); 8];
        canonical(&lengths, &mut codes);
        let plain = |(code, len): (u16, u8)| code.reverse_bits() >> (16 - u32::from(len));
        assert_eq!(plain(codes[5]), 0b00);
        assert_eq!(plain(codes[0]), 0b010);
        assert_eq!(plain(codes[4]), 0b110);
        assert_eq!(plain(codes[6]), 0b1110);
        assert_eq!(plain(codes[7]), 0b1111);
    }
}
