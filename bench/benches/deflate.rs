//! permessage-deflate (RFC 7692) in memory: barews with the extension,
//! barews without it, and ratchet (`ratchet_rs` + `ratchet_deflate`,
//! zlib through flate2) with and without it.
//!
//! Compressors use 15-bit windows and compression level 1, and keep their
//! context between messages (context takeover), except
//! `barews-deflate-shared`: no context takeover, a compressor that keeps
//! nothing between messages (the one a server shares among connections
//! in that mode). Messages are
//! distinct ([`messages`]): JSON-like text with varied values, or random
//! bytes.
//!
//! - `deflate-encode/{content}`: a server compresses (or not) one message
//!   and frames it, written into an in-memory sink; the messages take
//!   turns, on one long-lived connection.
//! - `deflate-decode/{content}`: a server reads about 1 MiB of payload of
//!   client frames (what a barews client sends: masked, compressed when
//!   the extension is on), parsing, unmasking, inflating and validating
//!   text as UTF-8, on a fresh connection per pass (a stream compressed
//!   with context takeover only decodes from its start).
//!
//! Before measuring, it prints the wire bytes each encoder writes per
//! payload byte for the same messages (the compression ratio, headers
//! included).
//!
//! ```sh
//! cargo bench -p barews-bench --bench deflate -- --warm-up-time 1 --measurement-time 2
//! ```

use barews_bench::deflate::{
    BarewsDecoder, BarewsMode, Content, RatchetDecoder, SendStream, barews_client_stream,
    barews_params, barews_wire_len, messages, ratchet_deflate, ratchet_server, ratchet_wire_len,
    send, send_room,
};
use barews_bench::frames::count_for;
use barews_bench::mem::{MemStream, runtime};
use barews_bench::stats::as_f64;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use ratchet_rs::{NoExt, PayloadType};
use std::hint::black_box;
use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, Instant};

const SIZES: [usize; 2] = [1024, 64 * 1024];
/// barews per-connection (context takeover), shared (none), and off.
const BAREWS_MODES: [BarewsMode; 3] =
    [BarewsMode::PerConnection, BarewsMode::Shared, BarewsMode::Off];
const CONTENTS: [Content; 2] = [Content::Json, Content::Random];

/// About this much payload per decoding pass.
const DECODE_TARGET: usize = 1 << 20;

/// Distinct messages the encoders take turns on.
const ENCODE_MESSAGES: usize = 64;

fn size_name(size: usize) -> String {
    if size >= 1024 { format!("{}KiB", size / 1024) } else { format!("{size}B") }
}

/// Prints wire bytes per payload byte for every encoder.
fn ratios(_: &mut Criterion) {
    let rt = runtime();
    println!("\nwire bytes per payload byte (server frames, context takeover, level 1):");
    println!(
        "| content | size | barews-deflate | barews-deflate-shared | barews | ratchet-deflate | ratchet |"
    );
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
    for content in CONTENTS {
        for size in SIZES {
            let list = messages(content, size, count_for(size, DECODE_TARGET));
            let payload = as_f64((list.len() * size) as u64);
            let kind = content.data_kind();
            let cells = [
                barews_wire_len(&list, kind, BarewsMode::PerConnection),
                barews_wire_len(&list, kind, BarewsMode::Shared),
                barews_wire_len(&list, kind, BarewsMode::Off),
                rt.block_on(ratchet_wire_len(&list, content, true)),
                rt.block_on(ratchet_wire_len(&list, content, false)),
            ]
            .map(|wire| format!("{:.3}", as_f64(wire as u64) / payload));
            println!("| {} | {} | {} |", content.name(), size_name(size), cells.join(" | "));
        }
    }
    println!();
}

fn encode(c: &mut Criterion) {
    let rt = runtime();
    for content in CONTENTS {
        let mut group = c.benchmark_group(format!("deflate-encode/{}", content.name()));
        for size in SIZES {
            let list = messages(content, size, ENCODE_MESSAGES);
            group.throughput(Throughput::Bytes(size as u64));
            let kind = content.data_kind();
            let (mut sink, _) = MemStream::new(Vec::new());
            let mut out = vec![0u8; send_room(size)];

            for mode in BAREWS_MODES {
                let (mut server, mut compressor) = mode.server();
                let mut turn = 0;
                group.bench_function(BenchmarkId::new(mode.name(), size_name(size)), |b| {
                    b.iter(|| {
                        turn = (turn + 1) % list.len();
                        let message = black_box(&list[turn]);
                        let n = send(&mut server, compressor.as_mut(), kind, message, &mut out);
                        sink.write_all(&out[..n]).expect("sink");
                    });
                });
            }

            // ratchet `write`: frames (and compresses) into its write
            // buffer, then writes it to the stream. All iterations run in
            // one `block_on`.
            let payload_type =
                if content == Content::Json { PayloadType::Text } else { PayloadType::Binary };
            let input: Arc<[u8]> = Arc::from(&[][..]);
            let mut compressed =
                ratchet_server(SendStream::new(input.clone()), Some(ratchet_deflate()));
            let mut plain = ratchet_server::<NoExt>(SendStream::new(input), None);
            for deflate in [true, false] {
                let name = if deflate { "ratchet-deflate" } else { "ratchet" };
                let mut turn = 0;
                group.bench_function(BenchmarkId::new(name, size_name(size)), |b| {
                    b.iter_custom(|iters| {
                        rt.block_on(async {
                            let start = Instant::now();
                            for _ in 0..iters {
                                turn = (turn + 1) % list.len();
                                let message = black_box(&list[turn]);
                                if deflate {
                                    compressed.write(message, payload_type).await
                                } else {
                                    plain.write(message, payload_type).await
                                }
                                .expect("write");
                            }
                            start.elapsed()
                        })
                    });
                });
            }
        }
        group.finish();
    }
}

fn decode(c: &mut Criterion) {
    let rt = runtime();
    for content in CONTENTS {
        let mut group = c.benchmark_group(format!("deflate-decode/{}", content.name()));
        for size in SIZES {
            let count = count_for(size, DECODE_TARGET);
            let list = messages(content, size, count);
            group.throughput(Throughput::Bytes((count * size) as u64));
            let expected = (count, count * size);
            for deflate in [true, false] {
                let params = deflate.then(|| barews_params(false));
                let input = barews_client_stream(&list, content.data_kind(), params);

                let name = if deflate { "barews-deflate" } else { "barews" };
                let mut barews = BarewsDecoder::new(input.clone(), deflate);
                assert_eq!(barews.pass(), expected, "{name}");
                group.bench_function(BenchmarkId::new(name, size_name(size)), |b| {
                    b.iter(|| barews.pass());
                });

                let name = if deflate { "ratchet-deflate" } else { "ratchet" };
                let mut ratchet = RatchetDecoder::new(input, count, deflate);
                assert_eq!(rt.block_on(ratchet.pass()), expected, "{name}");
                group.bench_function(BenchmarkId::new(name, size_name(size)), |b| {
                    b.iter_custom(|iters| {
                        rt.block_on(async {
                            let start = Instant::now();
                            for _ in 0..iters {
                                black_box(ratchet.pass().await);
                            }
                            start.elapsed()
                        })
                    });
                });
            }
        }
        group.finish();
    }
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(2))
}

criterion_group! {
    name = benches;
    config = config();
    targets = ratios, encode, decode
}
criterion_main!(benches);
