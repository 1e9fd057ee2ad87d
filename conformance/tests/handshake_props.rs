//! Property tests of the opening handshake: any input, any chunking.

use barews::handshake::client::{ClientHandshake, ClientRequest, ResponseStatus};
use barews::handshake::server::{RequestStatus, ServerConfig, ServerHandshake};
use proptest::prelude::*;

/// Cut points that split `len` bytes into chunks, sorted and in range.
fn cuts(len: usize) -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(0..=len, 0..12).prop_map(|mut cuts| {
        cuts.sort_unstable();
        cuts
    })
}

/// The buffers a reader would hold after each chunk arrives.
fn prefixes(bytes: &[u8], cuts: &[usize]) -> Vec<usize> {
    cuts.iter().copied().chain(std::iter::once(bytes.len())).collect()
}

/// What a server made of a request: `Ok(Some(...))` when complete.
type ServerOutcome =
    Result<Option<(String, Vec<String>, usize)>, barews::handshake::server::HandshakeError>;

fn serve(bytes: &[u8], ends: &[usize]) -> ServerOutcome {
    let mut server = ServerHandshake::new(ServerConfig::new());
    let mut outcome = Ok(None);
    for &end in ends {
        outcome = server.receive(&bytes[..end]).map(|status| match status {
            RequestStatus::Partial => None,
            RequestStatus::Complete { request, consumed } => {
                assert!(consumed <= end, "consumed more than was given");
                Some((
                    request.path().to_owned(),
                    request.protocols().map(String::from).collect(),
                    consumed,
                ))
            }
        });
        if !matches!(outcome, Ok(None)) {
            break;
        }
    }
    outcome
}

fn token() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9!#$%&'*+.^_`|~-]{1,12}"
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Arbitrary bytes never panic the server, never claim more bytes than
    /// given, and every refusal has an HTTP error response that fits a
    /// modest buffer.
    #[test]
    fn server_survives_any_bytes(bytes in prop::collection::vec(any::<u8>(), 0..2048), cuts in cuts(2048)) {
        let cuts: Vec<usize> = cuts.into_iter().filter(|&c| c <= bytes.len()).collect();
        if let Err(error) = serve(&bytes, &prefixes(&bytes, &cuts)) {
            let mut out = [0u8; 512];
            let len = error.write_response(&mut out).unwrap();
            prop_assert!(out[..len].starts_with(b"HTTP/1.1 4"));
        }
    }

    /// Request-shaped input (valid lines mixed with random ones) gives the
    /// same outcome whatever the chunking.
    #[test]
    fn server_outcome_does_not_depend_on_chunking(
        protocols in prop::collection::vec(token(), 0..4),
        junk in prop::collection::vec("[ -~]{0,20}", 0..3),
        cuts in cuts(400),
    ) {
        let mut head = String::from("GET /x HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n\
            Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
            Sec-WebSocket-Version: 13\r\n");
        if !protocols.is_empty() {
            head += "Sec-WebSocket-Protocol: ";
            head += &protocols.join(", ");
            head += "\r\n";
        }
        for line in &junk {
            head.push_str(line);
            head.push_str("\r\n");
        }
        head.push_str("\r\n");
        let bytes = head.as_bytes();
        let cuts: Vec<usize> = cuts.into_iter().filter(|&c| c <= bytes.len()).collect();
        let whole = serve(bytes, &[bytes.len()]);
        prop_assert_eq!(&serve(bytes, &prefixes(bytes, &cuts)), &whole);
        if junk.is_empty() {
            prop_assert_eq!(whole, Ok(Some(("/x".to_owned(), protocols, bytes.len()))));
        }
    }

    /// Arbitrary bytes never panic the client or claim more bytes than given.
    #[test]
    fn client_survives_any_bytes(bytes in prop::collection::vec(any::<u8>(), 0..2048), cuts in cuts(2048)) {
        let request = ClientRequest::new("h", "/");
        let mut client = ClientHandshake::new(request, [1; 16]).unwrap();
        for end in cuts.into_iter().filter(|&c| c <= bytes.len()).chain([bytes.len()]) {
            match client.receive(&bytes[..end]) {
                Ok(ResponseStatus::Complete { consumed, .. }) => {
                    prop_assert!(consumed <= end);
                    break;
                }
                Ok(ResponseStatus::Partial) => {}
                Err(_) => break,
            }
        }
    }
}
