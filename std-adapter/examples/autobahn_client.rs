//! The client side of the Autobahn testsuite: runs every case the
//! testsuite's fuzzing server offers, echoing each message, then asks it to
//! write its report. With `--deflate-shared` (and the `deflate` feature)
//! it offers permessage-deflate without context takeover either way, and
//! compresses with its thread's shared compressor; otherwise it offers
//! the default (context takeover, a compressor per connection).
//!
//! ```sh
//! wstest -m fuzzingserver -s spec.json &     # listens on 9001
//! cargo run --release -p barews-std --example autobahn_client -- ws://127.0.0.1:9001 barews
//! ```

use barews::close::CloseCode;
use barews_std::{ClientOptions, End, Error, Message};
use std::time::Duration;

/// The longest a case may stay silent before the client gives up on it.
const CASE_TIMEOUT: Duration = Duration::from_secs(60);

fn main() -> Result<(), Error> {
    let mut args = std::env::args().skip(1);
    let base = args.next().unwrap_or_else(|| "ws://127.0.0.1:9001".to_owned());
    let agent = args.next().unwrap_or_else(|| "barews".to_owned());
    let shared = args.next().as_deref() == Some("--deflate-shared");

    let (mut socket, _) = barews_std::connect(&format!("{base}/getCaseCount"))?;
    let count: u32 = match socket.read()? {
        Message::Text(text) => {
            text.trim().parse().map_err(|_| Error::Io(std::io::Error::other("bad case count")))?
        }
        other => panic!("expected the case count, got {other:?}"),
    };
    let _ = socket.close(CloseCode::NORMAL, "");
    println!("{count} cases");

    for case in 1..=count {
        let url = format!("{base}/runCase?case={case}&agent={agent}");
        match run_case(&url, shared) {
            Ok(()) | Err(Error::Ended(End::Closed | End::Protocol(_) | End::AbnormalClosure)) => {}
            Err(error) => eprintln!("case {case}: {error}"),
        }
    }

    let (mut socket, _) = barews_std::connect(&format!("{base}/updateReports?agent={agent}"))?;
    let _ = socket.close(CloseCode::NORMAL, "");
    println!("reports updated");
    Ok(())
}

/// Echoes every message of one case until the server closes.
fn run_case(url: &str, shared: bool) -> Result<(), Error> {
    let mut options = ClientOptions::default();
    options.socket.read_timeout = Some(CASE_TIMEOUT);
    #[cfg(feature = "deflate")]
    {
        use barews::deflate::DeflateConfig;
        options.deflate = Some(if shared {
            DeflateConfig::without_context_takeover()
        } else {
            DeflateConfig::new()
        });
    }
    #[cfg(not(feature = "deflate"))]
    let _ = shared;
    let (mut socket, _) = barews_std::connect_with(url, &options)?;
    loop {
        match socket.read()? {
            Message::Text(text) => socket.send_text(&text)?,
            Message::Binary(bytes) => socket.send_binary(&bytes)?,
            _ => {}
        }
    }
}
