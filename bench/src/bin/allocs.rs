//! Heap allocations per echoed message, for each implementation, counted
//! by a global allocator while a server reads client frames from memory
//! and echoes every message (see `barews_bench::echo`).
//!
//! ```sh
//! cargo run --release -p barews-bench --bin allocs
//! ```
//!
//! For each driver and workload: the allocations made while setting the
//! connection up, then a warm-up pass over the input (buffers reach their
//! working size), then a counted pass. The table shows the counted pass:
//! allocations (plus reallocations) per message, and bytes requested per
//! message.

use barews_bench::alloc_count::{CountingAlloc, Counts, snapshot};
use barews_bench::echo::MemServer;
use barews_bench::frames::{Kind, client_fragmented_messages, client_messages, count_for};
use barews_bench::stats::as_f64;
use std::fmt::Write as _;

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

/// A workload: a name and the input with its message count.
struct Workload {
    name: String,
    input: Vec<u8>,
    messages: usize,
}

fn workloads() -> Vec<Workload> {
    let mut list = Vec::new();
    for size in [16, 1024, 64 * 1024, 1024 * 1024] {
        let messages = count_for(size, 4 << 20).clamp(16, 10_000);
        let payload = Kind::Binary.payload(size, 9);
        list.push(Workload {
            name: format!("binary {}", size_name(size)),
            input: client_messages(Kind::Binary, &payload, messages),
            messages,
        });
    }
    let payload = Kind::Text.payload(1024, 0);
    list.push(Workload {
        name: "text 1 KiB".into(),
        input: client_messages(Kind::Text, &payload, 4096),
        messages: 4096,
    });
    let payload = Kind::Binary.payload(64 * 1024, 1);
    list.push(Workload {
        name: "64 KiB in 1 KiB fragments".into(),
        input: client_fragmented_messages(Kind::Binary, &payload, 1024, 64),
        messages: 64,
    });
    list
}

fn size_name(size: usize) -> String {
    match size {
        s if s >= 1 << 20 => format!("{} MiB", s >> 20),
        s if s >= 1024 => format!("{} KiB", s >> 10),
        s => format!("{s} B"),
    }
}

fn per_message(counts: Counts, messages: usize) -> String {
    let messages = as_f64(messages as u64);
    let allocs = as_f64(counts.allocations + counts.reallocations) / messages;
    let bytes = as_f64(counts.bytes) / messages;
    let bytes = if bytes >= 1024.0 * 1024.0 {
        format!("{:.1} MiB", bytes / (1024.0 * 1024.0))
    } else if bytes >= 1024.0 {
        format!("{:.1} KiB", bytes / 1024.0)
    } else {
        format!("{bytes:.0} B")
    };
    format!("{allocs:.2} ({bytes})")
}

fn main() {
    let workloads = workloads();
    let mut table = String::from("| driver | setup |");
    for workload in &workloads {
        let _ = write!(table, " {} |", workload.name);
    }
    table.push_str("\n| --- | ---: |");
    for _ in &workloads {
        table.push_str(" ---: |");
    }
    for server in MemServer::ALL {
        let mut setup_allocs = 0;
        let mut row = String::new();
        for workload in &workloads {
            if server == MemServer::Fastwebsockets && workload.name.contains("fragments") {
                // Plain `read_frame` hands out fragments, not messages.
                row.push_str(" (fragments) |");
            }
            let before = snapshot();
            let mut driver = server.driver(&workload.input, workload.messages, true);
            let setup = snapshot().since(before);
            setup_allocs = setup_allocs.max(setup.allocations);
            let warm = driver.pass();
            assert_eq!(warm.messages, workload.messages);
            let before = snapshot();
            let tally = driver.pass();
            let counted = snapshot().since(before);
            assert_eq!(tally.messages, workload.messages);
            if !(server == MemServer::Fastwebsockets && workload.name.contains("fragments")) {
                let _ = write!(row, " {} |", per_message(counted, workload.messages));
            }
        }
        let _ = write!(table, "\n| {} | {} |{}", server.name(), setup_allocs, row);
    }
    println!("# Allocations per echoed message (steady state)\n");
    println!(
        "Each cell: allocations + reallocations per message (bytes requested per message), \
         counted over a whole pass after a warm-up pass; `setup` is the most allocations \
         any workload's connection setup made (it includes copying the input into the \
         in-memory stream). The barews core driver reuses its buffers and allocates nothing.\n"
    );
    println!("{table}");
}
