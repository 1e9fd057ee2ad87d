//! Finding repeats (LZ77) in a message, looking back into the bytes of
//! earlier messages kept as history, and writing them out as DEFLATE
//! symbols.
//!
//! Positions are counted over everything the compressor has seen (a
//! wrapping stream position) and kept in a hash table of 16-bit entries,
//! one per bucket: the table needs no clearing between messages or
//! connections, because a candidate is used only when its distance lies
//! inside the allowed window and the bytes there really match.

/// Where the symbols found go: written at once with fixed codes, or
/// gathered for a block with codes of its own.
pub(super) trait Sink {
    /// One literal byte.
    fn literal(&mut self, byte: u8);
    /// A match of `len` bytes (4-258) `distance` bytes back.
    fn back_reference(&mut self, len: usize, distance: usize);
    /// Whether to stop: the output outgrew stored blocks.
    fn gave_up(&self) -> bool;
}

/// The longest match DEFLATE encodes.
const MAX_MATCH: usize = 258;
/// The shortest match looked for (the hash covers four bytes).
const MIN_MATCH: usize = 4;

/// How hard to look.
#[derive(Debug, Clone, Copy)]
pub(super) struct Effort {
    /// After a run of misses, skip ahead faster (incompressible input
    /// costs little time).
    pub(super) skip_on_misses: bool,
    /// Index every position inside a match, not only its end.
    pub(super) index_inside_matches: bool,
}

/// The table of last positions, one 16-bit entry per bucket, stored as
/// little-endian bytes in the caller's memory.
pub(super) struct Heads<'m> {
    pub(super) bytes: &'m mut [u8],
    pub(super) bits: u8,
}

impl Heads<'_> {
    #[inline]
    fn bucket(&self, word: u32) -> usize {
        (word.wrapping_mul(0x9e37_79b1) >> (32 - u32::from(self.bits))) as usize * 2
    }

    /// Records `position` for `word` and returns the position recorded
    /// before it.
    #[inline]
    fn swap(&mut self, word: u32, position: u16) -> u16 {
        let at = self.bucket(word);
        match self.bytes.get_mut(at..at + 2) {
            Some(entry) => {
                let old = u16::from_le_bytes([entry[0], entry[1]]);
                entry.copy_from_slice(&position.to_le_bytes());
                old
            }
            None => position,
        }
    }
}

/// Four bytes at `at`, if there are four.
#[inline]
fn word(data: &[u8], at: usize) -> Option<u32> {
    let bytes = data.get(at..at + 4)?;
    Some(u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]))
}

/// How many leading bytes `earlier` and `later` share, up to `max`.
#[inline]
fn common_prefix(earlier: &[u8], later: &[u8], max: usize) -> usize {
    let max = max.min(earlier.len()).min(later.len());
    let mut len = 0;
    while len + 8 <= max {
        let one = u64::from_le_bytes(earlier[len..len + 8].try_into().unwrap_or_default());
        let other = u64::from_le_bytes(later[len..len + 8].try_into().unwrap_or_default());
        let diff = one ^ other;
        if diff != 0 {
            return len + (diff.trailing_zeros() / 8) as usize;
        }
        len += 8;
    }
    while len < max && earlier[len] == later[len] {
        len += 1;
    }
    len
}

/// The 16-bit stream position `offset` bytes after `position`: positions
/// wrap by design (a candidate is checked, never trusted).
#[allow(clippy::cast_possible_truncation)]
#[inline]
fn position_at(position: u32, offset: usize) -> u16 {
    position.wrapping_add(offset as u32) as u16
}

/// What lies behind the message: the bytes of earlier messages kept as
/// history, where the message starts in the stream, and how far back a
/// match may reach.
pub(super) struct Behind<'h> {
    /// The bytes just before the message.
    pub(super) history: &'h [u8],
    /// The stream position of the message's first byte.
    pub(super) position: u32,
    /// The window: no match reaches farther back.
    pub(super) max_distance: usize,
}

/// The length of the match `distance` bytes behind `payload[at..]`, where
/// the bytes behind the payload's start are the end of `history`.
#[inline]
fn match_len(history: &[u8], payload: &[u8], at: usize, distance: usize) -> usize {
    let max = MAX_MATCH.min(payload.len() - at);
    let ahead = &payload[at..];
    if distance <= at {
        return common_prefix(&payload[at - distance..], ahead, max);
    }
    // The match starts in the history and may run on into the payload.
    let from = history.len() - (distance - at);
    let in_history = common_prefix(&history[from..], ahead, max);
    if in_history < history.len() - from || in_history == max {
        return in_history;
    }
    in_history + common_prefix(payload, &ahead[in_history..], max - in_history)
}

/// Finds the symbols of `payload`, matching against itself and what lies
/// `behind` it, and hands them to `sink` until it gives up.
pub(super) fn find_symbols(
    sink: &mut impl Sink,
    heads: &mut Heads<'_>,
    behind: &Behind<'_>,
    payload: &[u8],
    effort: Effort,
) {
    let &Behind { history, position, max_distance } = behind;
    let len = payload.len();
    let mut at = 0;
    let mut misses = 0u32;
    while let Some(current) = word(payload, at) {
        let here = position_at(position, at);
        let candidate = heads.swap(current, here);
        let distance = usize::from(here.wrapping_sub(candidate));
        if distance != 0 && distance <= max_distance && distance <= history.len() + at {
            let found = match_len(history, payload, at, distance);
            if found >= MIN_MATCH {
                sink.back_reference(found, distance);
                let end = at + found;
                if effort.index_inside_matches {
                    let mut inside = at + 1;
                    while inside < end {
                        if let Some(next) = word(payload, inside) {
                            heads.swap(next, position_at(position, inside));
                        }
                        inside += 1;
                    }
                } else if let Some(last) = word(payload, end - 1) {
                    heads.swap(last, position_at(position, end - 1));
                }
                at = end;
                misses = 0;
                if sink.gave_up() {
                    return;
                }
                continue;
            }
        }
        misses += 1;
        let step = if effort.skip_on_misses { 1 + (misses >> 5) as usize } else { 1 };
        for &byte in &payload[at..(at + step).min(len)] {
            sink.literal(byte);
        }
        at += step;
        if sink.gave_up() {
            return;
        }
    }
    for &byte in payload.get(at..).unwrap_or_default() {
        sink.literal(byte);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn match_runs_from_history_into_the_payload() {
        let history = b"xxabc";
        let payload = b"abcabcabcZ";
        // Three bytes behind the start: "abc" in the history, then the
        // payload's own "abcabc".
        assert_eq!(match_len(history, payload, 0, 3), 9);
        // Inside the payload only.
        assert_eq!(match_len(history, payload, 3, 3), 6);
        assert_eq!(match_len(history, payload, 0, 5), 0);
    }

    #[test]
    fn common_prefix_stops_at_the_first_difference_and_at_max() {
        let a = [7u8; 40];
        let mut b = [7u8; 40];
        b[19] = 0;
        assert_eq!(common_prefix(&a, &b, 40), 19);
        assert_eq!(common_prefix(&a, &b, 10), 10);
        assert_eq!(common_prefix(&a, &a, 40), 40);
    }
}
