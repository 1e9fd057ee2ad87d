//! Property tests of the incremental UTF-8 validator (with the `simdutf8`
//! fast path when the workspace build turns it on): for any text, valid or
//! corrupted, cut into any chunks, it fails exactly at the chunk holding
//! the first byte that cannot continue valid UTF-8, and otherwise accepts
//! the text exactly when `core::str::from_utf8` does.

use barews::utf8::{Utf8Validator, validate};
use proptest::prelude::*;

/// Mostly real characters (all widths), with stray bytes mixed in.
fn text() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        8 => "[a-z ]{1,40}".prop_map(String::into_bytes),
        4 => any::<char>().prop_map(|c| c.to_string().into_bytes()),
        1 => any::<u8>().prop_map(|b| vec![b]),
    ];
    prop::collection::vec(piece, 0..120).prop_map(|pieces| pieces.concat())
}

/// The length of the shortest prefix of `bytes` that no valid UTF-8 text
/// starts with, if there is one.
fn first_bad_prefix(bytes: &[u8]) -> Option<usize> {
    let bad =
        |len: usize| std::str::from_utf8(&bytes[..len]).is_err_and(|e| e.error_len().is_some());
    if !bad(bytes.len()) {
        return None;
    }
    // Badness only grows with the prefix: search for where it starts.
    let (mut good, mut bad_len) = (0, bytes.len());
    while bad_len - good > 1 {
        let mid = good + (bad_len - good) / 2;
        if bad(mid) { bad_len = mid } else { good = mid }
    }
    Some(bad_len)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn chunked_validation_fails_fast_and_agrees_with_std(
        bytes in text(),
        cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..40),
    ) {
        let mut points: Vec<usize> = cuts.iter().map(|i| i.index(bytes.len() + 1)).collect();
        points.push(0);
        points.push(bytes.len());
        points.sort_unstable();
        let bad_at = first_bad_prefix(&bytes);
        let mut validator = Utf8Validator::new();
        let mut failed = None;
        for pair in points.windows(2) {
            if validator.feed(&bytes[pair[0]..pair[1]]).is_err() {
                failed = Some(pair);
                break;
            }
        }
        match (bad_at, failed) {
            (None, None) => {
                let whole = validator.finish();
                prop_assert_eq!(whole.is_ok(), std::str::from_utf8(&bytes).is_ok());
            }
            (Some(bad), Some(pair)) => {
                // The failing chunk holds the first impossible byte.
                prop_assert!(pair[0] < bad && bad <= pair[1], "bad at {} failed in {:?}", bad, pair);
            }
            (bad, failed) => prop_assert!(false, "bad prefix {:?}, failure {:?}", bad, failed),
        }
        prop_assert_eq!(validate(&bytes).is_ok(), std::str::from_utf8(&bytes).is_ok());
    }
}
