//! Structured messages sent by one side and received by the other: what
//! arrives is exactly what was sent, whatever the roles, fragment size,
//! mask keys and chunking.
#![no_main]

use arbitrary::Arbitrary;
use barews::config::Config;
use barews::connection::{Connection, DataKind, Event, Side};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input {
    client_sends: bool,
    fragment: Option<u16>,
    key_seed: u32,
    chunk: u8,
    messages: Vec<(bool, Vec<u8>)>,
}

fuzz_target!(|input: Input| {
    let messages: Vec<(DataKind, Vec<u8>)> = input
        .messages
        .iter()
        .map(|(text, bytes)| {
            if *text {
                (DataKind::Text, String::from_utf8_lossy(bytes).into_owned().into_bytes())
            } else {
                (DataKind::Binary, bytes.clone())
            }
        })
        .collect();
    let config = Config::new().with_fragment_size(input.fragment.map(usize::from));
    let mut seed = input.key_seed;
    let keys = move || {
        seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        seed.to_le_bytes()
    };
    let wire = if input.client_sends {
        encode(Connection::client(config, keys), &messages)
    } else {
        encode(Connection::server(config), &messages)
    };
    let chunk = usize::from(input.chunk).max(1);
    let received = if input.client_sends {
        decode(Connection::server(Config::new()), &wire, chunk)
    } else {
        decode(Connection::client(Config::new(), || [1, 2, 3, 4]), &wire, chunk)
    };
    assert_eq!(received, messages);
});

fn encode<S: Side>(mut conn: Connection<S>, messages: &[(DataKind, Vec<u8>)]) -> Vec<u8> {
    let mut wire = Vec::new();
    for (kind, payload) in messages {
        // Room for every fragment's header at any fragment size.
        let mut out = vec![0u8; payload.len() * 15 + 14];
        let n = conn.send(*kind, payload, &mut out).expect("valid messages are sent");
        wire.extend_from_slice(&out[..n]);
    }
    wire
}

fn decode<S: Side>(mut conn: Connection<S>, wire: &[u8], chunk: usize) -> Vec<(DataKind, Vec<u8>)> {
    let mut buf = vec![0u8; 512];
    let (mut filled, mut read) = (0, 0);
    let mut messages = Vec::new();
    let mut current: Option<(DataKind, Vec<u8>)> = None;
    while read < wire.len() || filled > 0 {
        let n = chunk.min(buf.len() - filled).min(wire.len() - read);
        buf[filled..filled + n].copy_from_slice(&wire[read..read + n]);
        filled += n;
        read += n;
        loop {
            let received = conn.receive(&mut buf[..filled]).expect("what was sent decodes");
            let consumed = received.consumed;
            let event = received.event.is_some();
            if let Some(Event::Data { kind, payload, last, .. }) = received.event {
                current.get_or_insert((kind, Vec::new())).1.extend_from_slice(payload);
                if last {
                    messages.push(current.take().unwrap());
                }
            }
            buf.copy_within(consumed..filled, 0);
            filled -= consumed;
            if consumed == 0 && !event {
                break;
            }
        }
        if read == wire.len() && filled > 0 {
            panic!("{filled} bytes left undecoded");
        }
    }
    messages
}
