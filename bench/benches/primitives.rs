//! Primitive benchmarks: masking and UTF-8 validation.
//!
//! - `mask`: `barews::frame::apply_mask` in place, vs fastwebsockets'
//!   public `unmask`, vs a plain `copy_from_slice` of the same buffer (the
//!   memory-bandwidth reference);
//! - `utf8/{ascii,mixed}`: `barews::utf8::Utf8Validator` (`feed` of the
//!   whole text + `finish`, and `feed` in 4 KiB pieces as a 4 KiB read
//!   buffer delivers it), `barews::utf8::validate`, `core::str::from_utf8`
//!   and `simdutf8` (basic and compat), at 1 KiB and 1 MiB.
//!
//! ```sh
//! cargo bench -p barews-bench --bench primitives -- --warm-up-time 1 --measurement-time 2
//! ```

use barews::frame::apply_mask;
use barews::utf8::{Utf8Validator, validate};
use barews_bench::frames::{ascii_text, binary_payload, mixed_text};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use std::time::Duration;

fn mask(c: &mut Criterion) {
    let mut group = c.benchmark_group("mask");
    let key = [0x37, 0xfa, 0x21, 0x3d];
    for size in [16, 125, 1024, 64 * 1024, 1024 * 1024] {
        group.throughput(Throughput::Bytes(size as u64));
        let source = binary_payload(size, 5);
        let mut data = source.clone();
        group.bench_function(BenchmarkId::new("copy_from_slice", size), |b| {
            b.iter(|| {
                data.copy_from_slice(black_box(&source));
                black_box(&data);
            });
        });
        group.bench_function(BenchmarkId::new("barews apply_mask", size), |b| {
            b.iter(|| {
                apply_mask(black_box(&mut data), key, 0);
            });
        });
        group.bench_function(BenchmarkId::new("barews apply_mask offset 1", size), |b| {
            b.iter(|| {
                apply_mask(black_box(&mut data[1..]), key, 1);
            });
        });
        group.bench_function(BenchmarkId::new("fastwebsockets unmask", size), |b| {
            b.iter(|| {
                fastwebsockets::unmask(black_box(&mut data), key);
            });
        });
    }
    group.finish();
}

fn utf8(c: &mut Criterion) {
    for (name, make) in [("ascii", ascii_text as fn(usize) -> Vec<u8>), ("mixed", mixed_text)] {
        let mut group = c.benchmark_group(format!("utf8/{name}"));
        for size in [1024, 1024 * 1024] {
            let text = make(size);
            assert!(std::str::from_utf8(&text).is_ok());
            group.throughput(Throughput::Bytes(size as u64));
            group.bench_function(BenchmarkId::new("barews Utf8Validator", size), |b| {
                b.iter(|| {
                    let mut validator = Utf8Validator::new();
                    validator.feed(black_box(&text)).expect("valid");
                    validator.finish().expect("valid");
                });
            });
            group.bench_function(BenchmarkId::new("barews Utf8Validator 4KiB pieces", size), |b| {
                b.iter(|| {
                    let mut validator = Utf8Validator::new();
                    for piece in black_box(&text).chunks(4096) {
                        validator.feed(piece).expect("valid");
                    }
                    validator.finish().expect("valid");
                });
            });
            group.bench_function(BenchmarkId::new("barews validate", size), |b| {
                b.iter(|| validate(black_box(&text)).expect("valid"));
            });
            group.bench_function(BenchmarkId::new("core::str::from_utf8", size), |b| {
                b.iter(|| black_box(core::str::from_utf8(black_box(&text)).is_ok()));
            });
            group.bench_function(BenchmarkId::new("simdutf8 basic", size), |b| {
                b.iter(|| black_box(simdutf8::basic::from_utf8(black_box(&text)).is_ok()));
            });
            group.bench_function(BenchmarkId::new("simdutf8 compat", size), |b| {
                b.iter(|| black_box(simdutf8::compat::from_utf8(black_box(&text)).is_ok()));
            });
        }
        group.finish();
    }
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
    targets = mask, utf8
}
criterion_main!(benches);
