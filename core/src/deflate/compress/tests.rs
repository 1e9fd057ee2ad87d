//! The compressor against RFC 7692's example and `miniz_oxide`'s inflater,
//! at every window size and level, with and without context.

use super::*;
use miniz_oxide::inflate::core::{DecompressorOxide, decompress, inflate_flags};
use std::vec;
use std::vec::Vec;

/// Messages of the kinds a connection sends: JSON-like records that repeat
/// field names, runs, pseudo-random bytes, and the edge lengths.
fn corpus() -> Vec<Vec<u8>> {
    let mut seed = 0x1234_5678u32;
    let mut random = |n: usize| {
        (0..n)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 17;
                seed ^= seed << 5;
                seed.to_le_bytes()[0]
            })
            .collect::<Vec<u8>>()
    };
    let json = |i: usize, n: usize| {
        let mut text = Vec::new();
        let mut k = i;
        while text.len() < n {
            let record = std::format!(
                r#"{{"id":{k},"name":"user{}","active":{}}},"#,
                k * 7 % 1000,
                k.is_multiple_of(2)
            );
            text.extend_from_slice(record.as_bytes());
            k += 1;
        }
        text.truncate(n);
        text
    };
    vec![
        b"Hello".to_vec(),
        Vec::new(),
        json(1, 1000),
        json(2, 1000),
        vec![b'a'; 300],
        random(2000),
        json(3, 70_000),
        random(70_000),
        json(4, 5),
        vec![0; 40_000],
        json(5, 9000),
    ]
}

/// Inflates each message in turn, with RFC 7692's tail appended, through
/// one decompressor whose wrapping window is exactly 2^`bits` bytes: a
/// back-reference past the window would read the wrong bytes.
fn inflate_all(messages: &[Vec<u8>], bits: u8, kept: bool) -> Vec<Vec<u8>> {
    let mut state = DecompressorOxide::new();
    let mut window = vec![0u8; 1 << bits];
    let mut pos = 0;
    let mut out = Vec::new();
    for compressed in messages {
        if !kept {
            state = DecompressorOxide::new();
            pos = 0;
        }
        let mut input = compressed.clone();
        input.extend_from_slice(&[0, 0, 0xff, 0xff]);
        let mut message = Vec::new();
        let mut at = 0;
        loop {
            let flags = inflate_flags::TINFL_FLAG_HAS_MORE_INPUT;
            let (status, used, written) =
                decompress(&mut state, &input[at..], &mut window, pos, flags);
            message.extend_from_slice(&window[pos..pos + written]);
            pos = (pos + written) % window.len();
            at += used;
            assert!((status as i32) >= 0, "inflate failed: {status:?}");
            if at == input.len() && written == 0 {
                break;
            }
        }
        out.push(message);
    }
    out
}

#[test]
fn hello_compresses_to_rfc7692_bytes() {
    // RFC 7692 section 7.2.3.1: "Hello" in a fixed-Huffman block.
    let mut compressor = Compressor::new(15, 1, Context::Kept);
    let mut out = [0u8; 16];
    let n = compressor.compress(b"Hello", &mut out, 15).unwrap();
    assert_eq!(&out[..n], &[0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00]);
}

#[test]
fn round_trips_at_every_window_and_level_with_and_without_context() {
    let corpus = corpus();
    // With room for blocks of their own codes, and with only the bound
    // (the fixed codes).
    let rooms: [fn(usize) -> usize; 2] =
        [Compressor::<Vec<u8>>::preferred_room, Compressor::<Vec<u8>>::bound];
    for (bits, level, room) in
        (8..=15u8).flat_map(|b| (0..=9u8).flat_map(move |l| rooms.map(|r| (b, l, r))))
    {
        {
            for context in [Context::Kept, Context::Reset] {
                let mut compressor = Compressor::new(bits, level, context);
                let compressed: Vec<Vec<u8>> = corpus
                    .iter()
                    .map(|message| {
                        let mut out = vec![0u8; room(message.len())];
                        let n = compressor.compress(message, &mut out, bits).unwrap();
                        out.truncate(n);
                        out
                    })
                    .collect();
                let kept = context == Context::Kept;
                assert_eq!(
                    inflate_all(&compressed, bits, kept),
                    corpus,
                    "bits {bits} level {level} {context:?}"
                );
            }
        }
    }
}

#[test]
fn kept_context_shrinks_a_repeated_message() {
    let message = corpus()[2].clone();
    let mut out = vec![0u8; Compressor::<Vec<u8>>::bound(message.len())];
    let mut kept = Compressor::new(15, 1, Context::Kept);
    let first = kept.compress(&message, &mut out, 15).unwrap();
    let again = kept.compress(&message, &mut out, 15).unwrap();
    let mut reset = Compressor::new(15, 1, Context::Reset);
    reset.compress(&message, &mut out, 15).unwrap();
    let alone = reset.compress(&message, &mut out, 15).unwrap();
    assert!(first < message.len() / 2, "JSON-like text compresses: {first}");
    assert!(again < first / 4, "a repeat is mostly back-references: {again} against {first}");
    assert_eq!(alone, first, "without context each message stands alone");
}

#[test]
fn incompressible_input_is_stored_within_bound() {
    let message = corpus()[7].clone();
    let bound = Compressor::<Vec<u8>>::bound(message.len());
    let mut out = vec![0u8; bound];
    let n = Compressor::new(15, 1, Context::Reset).compress(&message, &mut out, 15).unwrap();
    assert!(n <= bound);
    assert_eq!(out[0], 0, "a stored block");
}

#[test]
fn too_small_output_or_memory_is_refused() {
    let mut compressor = Compressor::new(15, 1, Context::Kept);
    let mut out = [0u8; 8];
    assert_eq!(
        compressor.compress(&[1; 10], &mut out, 15),
        Err(BufferTooSmall { required: Compressor::<Vec<u8>>::bound(10) })
    );
    let required = Compressor::<&mut [u8]>::memory_size(9, 1, Context::Kept);
    let mut memory = vec![0u8; required - 1];
    assert!(Compressor::in_memory(&mut memory[..], 9, 1, Context::Kept).is_err());
}

#[test]
fn memory_follows_window_level_and_context() {
    let size = Compressor::<&mut [u8]>::memory_size;
    assert_eq!(size(15, 1, Context::Reset), 16 * 1024);
    assert_eq!(size(15, 1, Context::Kept), 12 * 1024);
    assert_eq!(size(9, 1, Context::Kept), 2 * 1024 + 512);
    assert_eq!(size(15, 9, Context::Kept), 48 * 1024);
    assert_eq!(size(15, 0, Context::Kept), 0);
}

#[test]
fn a_borrowed_slice_works_as_memory() {
    let mut memory = [0u8; 2 * 1024 + 512];
    let mut compressor = Compressor::in_memory(&mut memory[..], 9, 1, Context::Kept).unwrap();
    let message = corpus()[3].clone();
    let mut out = vec![0u8; Compressor::<&mut [u8]>::bound(message.len())];
    let n = compressor.compress(&message, &mut out, 9).unwrap();
    out.truncate(n);
    assert_eq!(inflate_all(&[out], 9, true), vec![message]);
}

#[test]
fn with_room_for_a_block_large_text_gets_codes_of_its_own_and_shrinks() {
    let message = corpus()[6].clone();
    let mut sizes = Vec::new();
    for room in [Compressor::<Vec<u8>>::preferred_room, Compressor::<Vec<u8>>::bound] {
        let mut out = vec![0u8; room(message.len())];
        let n = Compressor::new(15, 1, Context::Reset).compress(&message, &mut out, 15).unwrap();
        // BTYPE, bits 1-2 of the first byte: 10 dynamic, 01 fixed.
        sizes.push((n, out[0] >> 1 & 3));
        out.truncate(n);
        assert_eq!(inflate_all(&[out], 15, false), vec![message.clone()]);
    }
    assert_eq!(sizes[0].1, 0b10, "dynamic codes with room");
    assert_eq!(sizes[1].1, 0b01, "fixed codes without");
    assert!(sizes[0].0 < sizes[1].0 * 9 / 10, "{sizes:?}");
}

/// Messages around the block size (16,384 symbols) and far beyond it, of
/// few, some and all byte values, round-trip with and without context.
#[test]
fn messages_of_several_blocks_round_trip() {
    let mut seed = 99u32;
    let all: Vec<u8> = (0..=255u8).collect();
    let mut make = |n: usize, alphabet: &[u8]| -> Vec<u8> {
        (0..n)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 17;
                seed ^= seed << 5;
                alphabet[seed as usize % alphabet.len()]
            })
            .collect()
    };
    let letters = b"abcdefghijklmnopqrstuvwxyz ";
    for len in [65535usize, 65536, 65537, 16384, 16385, 32768, 49152, 49153, 100_000] {
        let cases: Vec<(&str, Vec<u8>)> = vec![
            ("letters", make(len, letters)),
            ("bytes", make(len, &all)),
            ("ab", make(len, b"ab")),
        ];
        for (name, data) in cases {
            for context in [Context::Kept, Context::Reset] {
                let mut c = Compressor::new(15, 1, context);
                let mut out = vec![0u8; Compressor::<Vec<u8>>::preferred_room(len)];
                let mut msgs = Vec::new();
                for _ in 0..3 {
                    let n = c.compress(&data, &mut out, 15).unwrap();
                    msgs.push(out[..n].to_vec());
                }
                let back = inflate_all(&msgs, 15, context == Context::Kept);
                for message in &back {
                    assert!(message == &data, "{name} {len} {context:?}");
                }
            }
        }
    }
}
