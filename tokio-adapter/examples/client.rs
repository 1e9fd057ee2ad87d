//! A line client on tokio: sends each line of standard input as a text
//! message, prints each message it receives, and closes cleanly (1000)
//! at the end of the input.
//!
//! ```sh
//! cargo run -p barews-tokio --example client -- ws://127.0.0.1:9001/
//! cargo run -p barews-tokio --example client -- ws://127.0.0.1:9001/ --proxy http://127.0.0.1:3128
//! HTTPS_PROXY=socks5h://127.0.0.1:1080 cargo run -p barews-tokio --features tls --example client -- wss://example.com/ --proxy-from-env
//! ```
//!
//! `--proxy URL` goes through that proxy (`http://`, `socks5://`,
//! `socks5h://`, with `user:password@` if it asks for them);
//! `--proxy-from-env` through the one `HTTPS_PROXY`, `HTTP_PROXY`,
//! `ALL_PROXY` and `NO_PROXY` name. Neither: a direct connection.

use barews::close::CloseCode;
use barews_tokio::{ClientOptions, End, Error, Message, Proxy, ProxyChoice};
use std::process::ExitCode;
use tokio::io::AsyncBufReadExt;

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("client: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), Error> {
    let mut args = std::env::args().skip(1);
    let url = args.next().unwrap_or_else(|| "ws://127.0.0.1:9001/".to_owned());
    let mut options = ClientOptions::default();
    match (args.next().as_deref(), args.next()) {
        (Some("--proxy"), Some(proxy)) => {
            options.proxy = ProxyChoice::Through(Proxy::parse(&proxy)?);
        }
        (Some("--proxy-from-env"), None) => options.proxy = ProxyChoice::FromEnvironment,
        (None, None) => {}
        _ => {
            eprintln!("usage: client URL [--proxy URL | --proxy-from-env]");
            return Err(Error::Io(std::io::Error::from(std::io::ErrorKind::InvalidInput)));
        }
    }
    let (socket, _) = barews_tokio::connect_with(&url, &options).await?;
    let (mut reader, writer) = socket.split();
    let printer = tokio::spawn(async move {
        loop {
            match reader.read().await {
                Ok(Message::Text(text)) => println!("{text}"),
                Ok(Message::Binary(bytes)) => println!("({} bytes of binary)", bytes.len()),
                Ok(_) => {}
                Err(Error::Ended(End::Closed)) => return Ok(()),
                Err(error) => return Err(error),
            }
        }
    });
    let mut lines = tokio::io::BufReader::new(tokio::io::stdin()).lines();
    while let Some(line) = lines.next_line().await? {
        writer.send_text(&line).await?;
    }
    writer.close(CloseCode::NORMAL, "").await?;
    printer.await.unwrap_or_else(|_| Err(Error::Io(std::io::Error::other("the reader panicked"))))
}
