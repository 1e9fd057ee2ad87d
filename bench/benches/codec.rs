//! Codec micro-benchmarks, in memory: barews vs tungstenite vs
//! fastwebsockets doing the same work on the same bytes.
//!
//! - `decode/{text,binary}`: a server receiving client (masked) frames,
//!   each a whole message, about 1 MiB of payload per iteration: header
//!   decoding, unmasking and (for text) UTF-8 validation. `memcpy` is the
//!   copy of the same bytes alone, which every implementation also pays
//!   (barews copies the input into its working buffer, the others read it
//!   from an in-memory stream, as a socket read would);
//! - `encode/{server,client}`: one binary frame per iteration, written
//!   into an in-memory sink (a copy, as a socket write is);
//! - `fragmented/{text,binary}`: 64 KiB messages in 1 KiB fragments;
//! - `handshake`: parsing an upgrade request and writing the `101`.
//!
//! ```sh
//! cargo bench -p barews-bench --bench codec -- --warm-up-time 1 --measurement-time 2
//! cargo bench -p barews-bench --bench codec -- decode/binary
//! ```

use barews::config::Config;
use barews::connection::{Connection, DataKind};
use barews::handshake::server::{AcceptOptions, RequestStatus, ServerConfig, ServerHandshake};
use barews_bench::echo::{CoreDriver, MemServer};
use barews_bench::frames::{Kind, client_fragmented_messages, client_messages, count_for};
use barews_bench::mem::{MemStream, runtime};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use std::io::Write;
use std::time::{Duration, Instant};

const SIZES: [usize; 5] = [16, 125, 1024, 64 * 1024, 1024 * 1024];

/// About this much payload per decoding iteration.
const DECODE_TARGET: usize = 1 << 20;

fn decode(c: &mut Criterion) {
    for kind in [Kind::Text, Kind::Binary] {
        let mut group = c.benchmark_group(format!("decode/{}", kind.name()));
        for size in SIZES {
            let count = count_for(size, DECODE_TARGET);
            let payload = kind.payload(size, 7);
            let input = client_messages(kind, &payload, count);
            group.throughput(Throughput::Bytes((count * size) as u64));
            let mut work = vec![0u8; input.len()];
            group.bench_function(BenchmarkId::new("memcpy", size), |b| {
                b.iter(|| {
                    work.copy_from_slice(black_box(&input));
                    black_box(&work);
                });
            });
            for server in [
                MemServer::BarewsCore,
                MemServer::BarewsStd,
                MemServer::Tungstenite,
                MemServer::Fastwebsockets,
            ] {
                let mut driver = server.driver(&input, count, false);
                let tally = driver.pass();
                assert_eq!((tally.messages, tally.bytes), (count, count * size), "{server:?}");
                group.bench_function(BenchmarkId::new(server.name(), size), |b| {
                    b.iter(|| driver.pass());
                });
            }
            // The core's decoding alone, on bytes already in its buffer
            // (the refill is not timed): what `memcpy` bounds.
            let mut core = CoreDriver::new(&input, count, false, false);
            group.bench_function(BenchmarkId::new("barews-in-place", size), |b| {
                b.iter_custom(|iters| {
                    let mut total = Duration::ZERO;
                    for _ in 0..iters {
                        core.load();
                        let start = Instant::now();
                        black_box(core.decode_loaded());
                        total += start.elapsed();
                    }
                    total
                });
            });
        }
        group.finish();
    }
}

fn fragmented(c: &mut Criterion) {
    const MESSAGE: usize = 64 * 1024;
    const FRAGMENT: usize = 1024;
    const COUNT: usize = 16;
    for kind in [Kind::Text, Kind::Binary] {
        let mut group = c.benchmark_group(format!("fragmented/{}", kind.name()));
        group.throughput(Throughput::Bytes((COUNT * MESSAGE) as u64));
        let payload = kind.payload(MESSAGE, 3);
        let input = client_fragmented_messages(kind, &payload, FRAGMENT, COUNT);
        for server in [
            MemServer::BarewsCore,
            MemServer::BarewsCoreAssembled,
            MemServer::BarewsStd,
            MemServer::Tungstenite,
            MemServer::FastwebsocketsCollector,
        ] {
            let mut driver = server.driver(&input, COUNT, false);
            let tally = driver.pass();
            assert_eq!((tally.messages, tally.bytes), (COUNT, COUNT * MESSAGE), "{server:?}");
            group.bench_function(BenchmarkId::new(server.name(), "64KiB-in-1KiB"), |b| {
                b.iter(|| driver.pass());
            });
        }
        group.finish();
    }
}

/// Mask keys for barews clients: the OS pool barews-std uses.
fn os_masks() -> barews_std::OsMasks {
    barews_std::OsMasks::new().expect("OS randomness")
}

fn encode(c: &mut Criterion) {
    for client in [false, true] {
        let role = if client { "client" } else { "server" };
        let mut group = c.benchmark_group(format!("encode/{role}"));
        for size in SIZES {
            let payload = Kind::Binary.payload(size, 11);
            group.throughput(Throughput::Bytes(size as u64));
            let (mut sink, _) = MemStream::new(Vec::new());
            let mut out = vec![0u8; size + 14];

            // barews `send`: the whole frame into the caller's buffer, then
            // one write.
            let mut server = Connection::server(Config::new());
            let mut masked = Connection::client(Config::new(), os_masks());
            group.bench_function(BenchmarkId::new("barews", size), |b| {
                b.iter(|| {
                    let n = if client {
                        masked.send(DataKind::Binary, black_box(&payload), &mut out)
                    } else {
                        server.send(DataKind::Binary, black_box(&payload), &mut out)
                    }
                    .expect("fits");
                    sink.write_all(&out[..n]).expect("sink");
                });
            });

            // barews `encode_header`: the header alone, then the payload
            // written from the caller's buffer (a client masks a copy).
            let mut scratch = vec![0u8; size];
            group.bench_function(BenchmarkId::new("barews-header", size), |b| {
                b.iter(|| {
                    let mut header = [0u8; 14];
                    let len = size as u64;
                    if client {
                        let (n, mut mask) =
                            masked.encode_header(DataKind::Binary, len, true, &mut header).unwrap();
                        scratch.copy_from_slice(black_box(&payload));
                        mask.apply(&mut scratch);
                        sink.write_all(&header[..n]).expect("sink");
                        sink.write_all(&scratch).expect("sink");
                    } else {
                        let (n, _) =
                            server.encode_header(DataKind::Binary, len, true, &mut header).unwrap();
                        sink.write_all(&header[..n]).expect("sink");
                        sink.write_all(black_box(&payload)).expect("sink");
                    }
                });
            });

            // tungstenite `send` (`write` + `flush`); the payload is a
            // `Bytes` shared with the message, so it is not copied first.
            let role = if client {
                tungstenite::protocol::Role::Client
            } else {
                tungstenite::protocol::Role::Server
            };
            let (stream, _) = MemStream::new(Vec::new());
            let mut ws = tungstenite::WebSocket::from_raw_socket(stream, role, None);
            let bytes = tungstenite::Bytes::from(payload.clone());
            group.bench_function(BenchmarkId::new("tungstenite", size), |b| {
                b.iter(|| {
                    ws.send(tungstenite::Message::Binary(black_box(&bytes).clone())).expect("send");
                });
            });

            // fastwebsockets `write_frame` with a borrowed payload (a client
            // masks a copy of it). All iterations run inside one `block_on`,
            // so the runtime's cost is not counted per frame.
            let role =
                if client { fastwebsockets::Role::Client } else { fastwebsockets::Role::Server };
            let (stream, _) = MemStream::new(Vec::new());
            let mut ws = fastwebsockets::WebSocket::after_handshake(stream, role);
            let rt = runtime();
            group.bench_function(BenchmarkId::new("fastwebsockets", size), |b| {
                b.iter_custom(|iters| {
                    rt.block_on(async {
                        let start = Instant::now();
                        for _ in 0..iters {
                            ws.write_frame(fastwebsockets::Frame::binary(
                                fastwebsockets::Payload::Borrowed(black_box(&payload)),
                            ))
                            .await
                            .expect("write");
                        }
                        start.elapsed()
                    })
                });
            });
        }
        group.finish();
    }
}

/// A typical browser upgrade request.
const REQUEST: &[u8] = b"GET /chat?room=1 HTTP/1.1\r\n\
Host: server.example.com:8080\r\n\
Connection: Upgrade\r\n\
Pragma: no-cache\r\n\
Cache-Control: no-cache\r\n\
User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36\r\n\
Upgrade: websocket\r\n\
Origin: http://server.example.com:8080\r\n\
Sec-WebSocket-Version: 13\r\n\
Accept-Encoding: gzip, deflate, br\r\n\
Accept-Language: en-US,en;q=0.9\r\n\
Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n";

fn handshake(c: &mut Criterion) {
    let mut group = c.benchmark_group("handshake");
    group.throughput(Throughput::Elements(1));
    let (mut sink, _) = MemStream::new(Vec::new());

    // The core alone: parse, validate, write the 101.
    group.bench_function("barews", |b| {
        b.iter(|| {
            let mut handshake = ServerHandshake::new(ServerConfig::new());
            let Ok(RequestStatus::Complete { request, .. }) = handshake.receive(black_box(REQUEST))
            else {
                panic!("incomplete request");
            };
            let mut out = [0u8; 256];
            let n = request.accept(&AcceptOptions::new(), &mut out).expect("accept");
            sink.write_all(&out[..n]).expect("sink");
        });
    });

    // barews-std `accept` over an in-memory stream: the same plus the
    // socket (read buffer, connection state), like `tungstenite::accept`.
    group.bench_function("barews-std", |b| {
        b.iter(|| {
            let (stream, _) = MemStream::new(black_box(REQUEST).to_vec());
            black_box(barews_std::accept(stream).expect("accept"));
        });
    });

    // tungstenite `accept` over an in-memory stream (its WebSocket comes
    // with a 128 KiB read buffer).
    group.bench_function("tungstenite", |b| {
        b.iter(|| {
            let (stream, _) = MemStream::new(black_box(REQUEST).to_vec());
            black_box(tungstenite::accept(stream).expect("accept"));
        });
    });
    // fastwebsockets leaves the handshake to hyper: nothing to compare.
    group.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(30)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(2))
}

criterion_group! {
    name = benches;
    config = config();
    targets = decode, encode, fragmented, handshake
}
criterion_main!(benches);
