//! Proves that the protocol paths allocate nothing: handshakes, decoding,
//! unmasking, UTF-8 validation, encoding and the closing handshake run
//! under a global allocator that counts every allocation made on this
//! thread.

use barews::config::Config;
use barews::connection::{Connection, DataKind, Event};
use barews::handshake::client::{ClientHandshake, ClientRequest, ResponseStatus};
use barews::handshake::h2::{ConnectHandshake, ExtendedConnect};
use barews::handshake::server::{AcceptOptions, RequestStatus, ServerConfig, ServerHandshake};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

struct CountingAllocator;

thread_local! {
    static COUNTING: Cell<bool> = const { Cell::new(false) };
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: every call is forwarded unchanged to the system allocator; the
// counter only reads and writes thread-local cells, which never allocate.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if COUNTING.with(Cell::get) {
            ALLOCATIONS.with(|n| n.set(n.get() + 1));
        }
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

/// Runs `f` and returns how many allocations it made on this thread.
fn allocations_in(f: impl FnOnce()) -> usize {
    ALLOCATIONS.with(|n| n.set(0));
    COUNTING.with(|c| c.set(true));
    f();
    COUNTING.with(|c| c.set(false));
    ALLOCATIONS.with(Cell::get)
}

#[test]
fn the_protocol_paths_allocate_nothing() {
    let mut wire = vec![0u8; 1 << 16];
    let mut head = [0u8; 512];
    let mut answer = [0u8; 512];
    let text = "κόσμε and a long enough text to span several fragments. ".repeat(100);
    let count = allocations_in(|| {
        // The handshake, both roles.
        let request = ClientRequest::new("example.com", "/chat").with_protocols(&["chat"]);
        let mut client_hs = ClientHandshake::new(request, [3; 16]).unwrap();
        let len = client_hs.write_request(&mut head).unwrap();
        let mut server_hs = ServerHandshake::new(ServerConfig::new());
        let RequestStatus::Complete { request, .. } = server_hs.receive(&head[..len]).unwrap()
        else {
            panic!("complete")
        };
        let n =
            request.accept(&AcceptOptions::new().with_protocol(Some("chat")), &mut answer).unwrap();
        let ResponseStatus::Complete { .. } = client_hs.receive(&answer[..n]).unwrap() else {
            panic!("complete")
        };

        // The same over HTTP/2 (RFC 8441): header fields out and in.
        let request = ClientRequest::new("example.com", "/chat").with_protocols(&["chat"]);
        let over_h2 = ConnectHandshake::new(request).unwrap();
        let mut scratch = [0u8; 64];
        let headers = over_h2.headers(&mut scratch).unwrap();
        let fields = headers.iter().map(|(name, value)| (name, value.as_bytes()));
        let connect = ExtendedConnect::from_headers(&ServerConfig::new(), fields).unwrap();
        let options = AcceptOptions::new().with_protocol(Some("chat"));
        let answer_h2 = connect.accept(&options).unwrap();
        let fields = answer_h2.iter().map(|(name, value)| (name, value.as_bytes()));
        let response = over_h2.check_response(answer_h2.status(), fields).unwrap();
        assert_eq!(response.protocol(), Some("chat"));

        // Frames: a client encodes (and masks), a server decodes, unmasks
        // and validates, in pieces, and answers.
        let mut client =
            Connection::client(Config::new().with_fragment_size(Some(1000)), || [1, 2, 3, 4]);
        let mut server = Connection::server(Config::new());
        let mut len = client.send(DataKind::Text, text.as_bytes(), &mut wire).unwrap();
        client.ping(b"ping").unwrap();
        len += client.poll_transmit(&mut wire[len..]).unwrap();
        client.close(barews::close::CloseCode::NORMAL, "bye").unwrap();
        len += client.poll_transmit(&mut wire[len..]).unwrap();

        let mut pos = 0;
        let mut text_bytes = 0;
        let mut out = [0u8; 131];
        let mut replies = 0;
        while pos < len {
            // Feed at most 700 bytes at a time, as a small read buffer would.
            let end = (pos + 700).min(len);
            let received = server.receive(&mut wire[pos..end]).unwrap();
            if let Some(Event::Data { payload, .. }) = received.event {
                text_bytes += payload.len();
            }
            pos += received.consumed;
            while server.poll_transmit(&mut out).unwrap() > 0 {
                replies += 1;
            }
        }
        assert_eq!(text_bytes, text.len());
        assert_eq!(replies, 2, "a Pong and the Close reply");
        assert!(server.is_closed());
    });
    assert_eq!(count, 0, "allocations on the protocol paths");
}

#[test]
fn the_counter_sees_allocations() {
    // Guards the test above against a counter that never counts.
    let count = allocations_in(|| {
        let v = std::hint::black_box(vec![1u8; 10]);
        drop(v);
    });
    assert_eq!(count, 1);
}
