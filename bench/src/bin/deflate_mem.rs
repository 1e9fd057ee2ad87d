//! Memory per connection with permessage-deflate: the heap a server
//! connection holds (counted by a global allocator, bytes allocated and
//! not freed) after it is set up, after it sent one compressed 64 KiB
//! message, and after it received one, for barews and ratchet.
//!
//! ```sh
//! cargo run --release -p barews-bench --bin deflate_mem
//! ```
//!
//! barews keeps no message buffers: the caller's read buffer, output
//! buffer and inflate window are listed apart (the window is the one
//! buffer the extension adds). ratchet's counts include its own read and
//! write buffers, which grow to the largest message.

use barews::config::Config;
use barews::connection::{Connection, DataKind, Event, Server};
use barews::deflate::DeflateConfig;
use barews::deflate::{Compressor, Context, Inflater};
use barews_bench::alloc_count::{CountingAlloc, live_bytes};
use barews_bench::deflate::{
    Content, SendStream, barews_client_stream, barews_params, json_text, ratchet_deflate,
    ratchet_server, send,
};
use barews_bench::mem::runtime;
use bytes::BytesMut;
use ratchet_rs::{NoExt, PayloadType};
use std::sync::Arc;

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

const SIZE: usize = 64 * 1024;

/// Bytes in KiB, one decimal (exact for any heap size this sees).
#[allow(clippy::cast_precision_loss)]
fn kib(bytes: i64) -> String {
    format!("{:.1} KiB", bytes as f64 / 1024.0)
}

/// A row: setup, after one send, after one receive (each cumulative).
struct Row {
    name: String,
    setup: i64,
    sent: i64,
    received: i64,
    caller: String,
}

fn barews_row(name: &str, deflate: Option<DeflateConfig>) -> Row {
    let message = json_text(SIZE, 1);
    let offer = "permessage-deflate; client_max_window_bits";
    let params = deflate.map(|config| config.accept_offer([offer]).expect("accepted"));
    let input = barews_client_stream(std::slice::from_ref(&message), DataKind::Text, params);
    let mut out = vec![0u8; barews_bench::deflate::send_room(SIZE)];
    let mut buf = input.clone();

    let base = live_bytes();
    let mut conn: Connection<Server> = Connection::server(Config::new());
    if let Some(params) = params {
        conn = conn.with_deflate(params);
    }
    // A compressor that keeps context is the connection's; one that keeps
    // none is its thread's, shared, and counted apart.
    let mut own = conn.own_compressor();
    let setup = live_bytes() - base;
    let shared_base = live_bytes();
    let mut shared = conn
        .compression_level()
        .filter(|_| own.is_none())
        .map(|level| Compressor::new(15, level, Context::Reset));
    let shared_bytes = live_bytes() - shared_base;
    let mut inflater = Inflater::new();
    let mut window = vec![0u8; conn.inflate_window_size()];
    let window_len = window.len();
    let before = live_bytes();
    send(&mut conn, own.as_mut().or(shared.as_mut()), DataKind::Text, &message, &mut out);
    let sent = setup + live_bytes() - before;
    let before = live_bytes();
    let mut at = 0;
    let mut done = false;
    while !done {
        let received =
            conn.receive_inflating(&mut buf[at..], &mut inflater, &mut window).expect("valid");
        at += received.consumed;
        if let Some(Event::Data { last, .. }) = received.event {
            done = last;
        }
    }
    let received = sent + live_bytes() - before;
    drop((conn, own, inflater));
    let shared_note = if shared_bytes > 0 {
        format!("; the thread's shared compressor, {}", kib(shared_bytes))
    } else {
        String::new()
    };
    Row {
        name: name.into(),
        setup,
        sent,
        received,
        caller: if window_len == 0 {
            "the read and write buffers".into()
        } else {
            format!(
                "inflate window {}, held while the peer's context lasts (one message when it \
                 resets){shared_note}",
                kib(i64::try_from(window_len).unwrap_or(0))
            )
        },
    }
}

fn ratchet_row(name: &str, deflate: bool) -> Row {
    let rt = runtime();
    let message = json_text(SIZE, 1);
    let params = deflate.then(|| barews_params(false));
    let input: Arc<[u8]> =
        barews_client_stream(std::slice::from_ref(&message), Content::Json.data_kind(), params)
            .into();
    // The in-memory stream's own scratch area is not ratchet's.
    let stream = SendStream::new(input);
    let base = live_bytes();
    let (setup, sent, received) = rt.block_on(async {
        let mut buf = BytesMut::new();
        if deflate {
            let mut ws = ratchet_server(stream, Some(ratchet_deflate()));
            let setup = live_bytes() - base;
            ws.write(&message, PayloadType::Text).await.expect("write");
            let sent = live_bytes() - base;
            ws.read(&mut buf).await.expect("read");
            drop(buf);
            let received = live_bytes() - base;
            (setup, sent, received)
        } else {
            let mut ws = ratchet_server::<NoExt>(stream, None);
            let setup = live_bytes() - base;
            ws.write(&message, PayloadType::Text).await.expect("write");
            let sent = live_bytes() - base;
            ws.read(&mut buf).await.expect("read");
            drop(buf);
            let received = live_bytes() - base;
            (setup, sent, received)
        }
    });
    Row {
        name: name.into(),
        setup,
        sent,
        received,
        caller: "(buffers are its own, counted; the message read is not)".into(),
    }
}

fn main() {
    let rows = [
        barews_row("barews, no deflate", None),
        barews_row("barews-deflate (takeover, 15 bits)", Some(DeflateConfig::new())),
        barews_row(
            "barews-deflate (no takeover, 15 bits)",
            Some(DeflateConfig::without_context_takeover()),
        ),
        barews_row(
            "barews-deflate (no takeover, 9 bits)",
            Some(
                DeflateConfig::new()
                    .with_server_no_context_takeover(true)
                    .with_client_no_context_takeover(true)
                    .with_server_max_window_bits(9)
                    .with_client_max_window_bits(Some(9)),
            ),
        ),
        ratchet_row("ratchet, no deflate", false),
        ratchet_row("ratchet-deflate (takeover, 15 bits)", true),
    ];
    println!("Heap held by one server connection (one 64 KiB JSON-like message each way):\n");
    println!("| connection | set up | + sent one | + received one | also needed |");
    println!("| --- | ---: | ---: | ---: | --- |");
    for row in rows {
        println!(
            "| {} | {} | {} | {} | {} |",
            row.name,
            kib(row.setup),
            kib(row.sent),
            kib(row.received),
            row.caller
        );
    }
    println!(
        "\nsize_of::<Connection<Server>>() = {} bytes (inline, not on the heap)",
        std::mem::size_of::<Connection<Server>>()
    );
}
