//! Property test of the core driver (`barews::driver`): a client's input
//! delivered in random chunks, through receive and send buffers of random
//! sizes, written out in random pieces, gives the same transcript (the
//! messages seen, every byte written, when the transport was shut, and how
//! the connection ended) as driving it in one shot with ample buffers.

use barews::close::CloseCode;
use barews::config::Config;
use barews::connection::{Connection, DataKind, Event};
use barews::driver::{Action, Buffer, Driver, End, Limits, MIN_BUFFER};
use barews::time::NoClock;
use barews_testkit::{client_frame, server_frame};
use proptest::prelude::*;

/// One thing the client sends.
#[derive(Debug, Clone)]
enum Item {
    /// A message in fragments cut at `cuts`, with a Ping after the first
    /// fragment when `ping` is given.
    Message { kind: DataKind, payload: Vec<u8>, cuts: Vec<usize>, ping: Option<Vec<u8>> },
    /// A Ping between messages.
    Ping(Vec<u8>),
}

/// How the client's input ends.
#[derive(Debug, Clone, Copy)]
enum Ending {
    /// A Close 1000: the closing handshake completes.
    Close,
    /// Nothing: the transport ends (an abnormal closure).
    Eof,
    /// An unmasked frame: a protocol error.
    Violation,
}

fn payload(kind: DataKind) -> BoxedStrategy<Vec<u8>> {
    match kind {
        DataKind::Text => "\\PC{0,200}".prop_map(String::into_bytes).boxed(),
        DataKind::Binary => prop::collection::vec(any::<u8>(), 0..600).boxed(),
    }
}

fn item() -> impl Strategy<Value = Item> {
    let message = prop_oneof![Just(DataKind::Text), Just(DataKind::Binary)]
        .prop_flat_map(|kind| {
            (
                Just(kind),
                payload(kind),
                prop::collection::vec(0..600usize, 0..4),
                prop::option::of(prop::collection::vec(any::<u8>(), 0..125)),
            )
        })
        .prop_map(|(kind, payload, mut cuts, ping)| {
            cuts.retain(|&cut| cut <= payload.len());
            cuts.sort_unstable();
            Item::Message { kind, payload, cuts, ping }
        });
    prop_oneof![4 => message, 1 => prop::collection::vec(any::<u8>(), 0..125).prop_map(Item::Ping)]
}

fn ending() -> impl Strategy<Value = Ending> {
    prop_oneof![3 => Just(Ending::Close), 1 => Just(Ending::Eof), 1 => Just(Ending::Violation)]
}

/// The client's bytes for `items` and `ending`.
fn wire(items: &[Item], ending: Ending) -> Vec<u8> {
    let mut out = Vec::new();
    for item in items {
        match item {
            Item::Ping(payload) => out.extend(client_frame(0x89, payload)),
            Item::Message { kind, payload, cuts, ping } => {
                let mut bounds = vec![0];
                bounds.extend(cuts);
                bounds.push(payload.len());
                let pieces: Vec<&[u8]> = bounds.windows(2).map(|w| &payload[w[0]..w[1]]).collect();
                for (i, piece) in pieces.iter().enumerate() {
                    let opcode = match (i, kind) {
                        (0, DataKind::Text) => 0x1,
                        (0, DataKind::Binary) => 0x2,
                        _ => 0x0,
                    };
                    let fin = if i + 1 == pieces.len() { 0x80 } else { 0 };
                    out.extend(client_frame(opcode | fin, piece));
                    if let (0, Some(ping)) = (i, ping) {
                        out.extend(client_frame(0x89, ping));
                    }
                }
            }
        }
    }
    match ending {
        Ending::Close => out.extend(client_frame(0x88, &CloseCode::NORMAL.0.to_be_bytes())),
        Ending::Eof => {}
        Ending::Violation => out.extend(server_frame(0x82, b"unmasked")),
    }
    out
}

/// What one run of the driver did.
#[derive(Debug, Default, PartialEq, Eq)]
struct Transcript {
    /// Whole messages, and control frames, as the server saw them.
    seen: Vec<(u8, Vec<u8>)>,
    /// Every byte the server wrote.
    written: Vec<u8>,
    /// How many bytes had been written at each shutdown.
    shutdowns: Vec<usize>,
    end: Option<End>,
}

/// Sizes taken in turn from a list, for reads and writes.
struct Sizes<'a> {
    sizes: &'a [usize],
    next: usize,
}

impl Sizes<'_> {
    fn take(&mut self) -> usize {
        let size =
            self.sizes.get(self.next % self.sizes.len().max(1)).copied().unwrap_or(usize::MAX);
        self.next += 1;
        size.max(1)
    }
}

/// Writes at most one piece of the pending bytes.
fn write_some<B: Buffer>(
    driver: &mut Driver<barews::connection::Server, B>,
    writes: &mut Sizes<'_>,
    out: &mut Vec<u8>,
) {
    let n = driver.pending().len().min(writes.take());
    out.extend_from_slice(&driver.pending()[..n]);
    driver.wrote(n);
}

/// The buffers a run uses: fixed slices, or growable `Vec`s (which take
/// the driver's shortcuts for growable storage).
#[derive(Debug, Clone, Copy)]
enum Storage {
    Slices,
    Vecs,
}

/// Runs a server driver over `input` with buffers of `rx` and `tx` bytes
/// (growable ones start there, the receive buffer growing to twice that),
/// reading and writing in pieces of the given sizes, echoing every whole
/// message.
fn run(
    input: &[u8],
    config: Config,
    storage: Storage,
    (rx, tx): (usize, usize),
    reads: &[usize],
    writes: &[usize],
) -> Transcript {
    let conn = Connection::server(config);
    match storage {
        Storage::Slices => {
            let (mut rx, mut tx) = (vec![0u8; rx], vec![0u8; tx]);
            let driver = Driver::new(conn, &mut rx[..], &mut tx[..]).unwrap();
            drive(driver, input, reads, writes)
        }
        Storage::Vecs => {
            let limits = Limits::new(2 * rx, tx);
            let driver =
                Driver::with_limits(conn, vec![0; rx], vec![0; tx], Vec::new(), limits).unwrap();
            drive(driver, input, reads, writes)
        }
    }
}

fn drive<B: Buffer>(
    mut driver: Driver<barews::connection::Server, B>,
    input: &[u8],
    reads: &[usize],
    writes: &[usize],
) -> Transcript {
    let (mut reads, mut writes) =
        (Sizes { sizes: reads, next: 0 }, Sizes { sizes: writes, next: 0 });
    let mut input = input;
    let mut t = Transcript::default();
    let mut message: Option<(DataKind, Vec<u8>)> = None;
    for _ in 0..1_000_000 {
        match driver.poll(&mut NoClock) {
            Ok(Action::Event(at)) => {
                let whole = match driver.event(at) {
                    Event::Data { kind, payload, last, .. } => {
                        message.get_or_insert((kind, Vec::new())).1.extend_from_slice(payload);
                        if last { message.take() } else { None }
                    }
                    Event::Ping(payload) => {
                        t.seen.push((0x9, payload.to_vec()));
                        None
                    }
                    Event::Pong(payload) => {
                        t.seen.push((0xA, payload.to_vec()));
                        None
                    }
                    Event::Close(frame) => {
                        t.seen.push((
                            0x8,
                            frame.code.map(|c| c.0.to_be_bytes().to_vec()).unwrap_or_default(),
                        ));
                        None
                    }
                };
                if let Some((kind, bytes)) = whole {
                    t.seen.push((if kind == DataKind::Text { 0x1 } else { 0x2 }, bytes.clone()));
                    let mut rest = &bytes[..];
                    loop {
                        let queued = driver.send_message(kind, rest).unwrap();
                        rest = &rest[queued.taken..];
                        if queued.complete {
                            break;
                        }
                        write_some(&mut driver, &mut writes, &mut t.written);
                    }
                }
            }
            Ok(Action::Write) => write_some(&mut driver, &mut writes, &mut t.written),
            Ok(Action::Read { .. }) => {
                let spare = driver.spare();
                let n = spare.len().min(input.len()).min(reads.take());
                spare[..n].copy_from_slice(&input[..n]);
                input = &input[n..];
                if n == 0 { driver.ended() } else { driver.filled(n) }
            }
            Ok(Action::Shutdown) => t.shutdowns.push(t.written.len()),
            Ok(_) => {}
            Err(end) => {
                t.end = Some(end);
                return t;
            }
        }
    }
    panic!("the driver did not finish: {t:?}");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn any_chunking_and_buffer_sizes_give_the_one_shot_transcript(
        items in prop::collection::vec(item(), 0..8),
        ending in ending(),
        fragment in prop::option::of(1..300usize),
        rx in MIN_BUFFER..700,
        tx in MIN_BUFFER..700,
        reads in prop::collection::vec(1..400usize, 1..16),
        writes in prop::collection::vec(1..400usize, 1..16),
    ) {
        let input = wire(&items, ending);
        let config = Config::new().with_fragment_size(fragment);
        let one_shot =
            run(&input, config, Storage::Slices, (1 << 20, 1 << 20), &[usize::MAX], &[usize::MAX]);
        for storage in [Storage::Slices, Storage::Vecs] {
            let chunked = run(&input, config, storage, (rx, tx), &reads, &writes);
            prop_assert_eq!(&chunked, &one_shot, "{:?}", storage);
        }
        let expected = match ending {
            Ending::Close => End::Closed,
            Ending::Eof => End::AbnormalClosure,
            Ending::Violation => End::Protocol(barews::ProtocolError::UnmaskedFrame),
        };
        prop_assert_eq!(one_shot.end, Some(expected));
        // Every message was seen and echoed.
        let messages = items.iter().filter(|item| matches!(item, Item::Message { .. })).count();
        let seen = one_shot.seen.iter().filter(|(op, _)| *op <= 0x2).count();
        prop_assert_eq!(seen, messages);
    }
}
