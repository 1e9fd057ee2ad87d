//! A small HTTP server on plain `std::net` that serves a page on `/` and
//! hands `/ws` over to barews: the "hijack" pattern, where the HTTP
//! server parses the request and barews validates it, writes the `101`,
//! and takes over the stream with whatever bytes were already read.
//!
//! ```sh
//! cargo run -p barews-std --example http_hijack -- 127.0.0.1:8080
//! # then open http://127.0.0.1:8080/ in a browser
//! ```

use barews::handshake::HttpVersion;
use barews_std::{Message, RequestParts, ServerOptions};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};

const PAGE: &str = r#"<!doctype html>
<title>barews hijack demo</title>
<p>Messages echoed by the WebSocket at <code>/ws</code>:</p>
<pre id="log"></pre>
<script>
  const ws = new WebSocket(`ws://${location.host}/ws`);
  ws.onopen = () => ws.send("hello from the browser");
  ws.onmessage = (e) => { document.getElementById("log").textContent += e.data + "\n"; };
</script>
"#;

fn main() -> std::io::Result<()> {
    let addr = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:8080".to_owned());
    let listener = TcpListener::bind(&addr)?;
    println!("serving http://{}/ (WebSocket at /ws)", listener.local_addr()?);
    for stream in listener.incoming() {
        let Ok(stream) = stream else { continue };
        std::thread::spawn(move || {
            if let Err(error) = handle(stream) {
                eprintln!("connection ended: {error}");
            }
        });
    }
    Ok(())
}

fn handle(mut stream: TcpStream) -> Result<(), Box<dyn std::error::Error>> {
    // The host server's own HTTP parsing: read until the head is complete.
    let mut buf = Vec::new();
    let mut chunk = [0u8; 1024];
    let (head_len, method, path, version, headers) = loop {
        let n = stream.read(&mut chunk)?;
        if n == 0 || buf.len() > 16 * 1024 {
            return Ok(());
        }
        buf.extend_from_slice(&chunk[..n]);
        let mut slots = [httparse::EMPTY_HEADER; 32];
        let mut request = httparse::Request::new(&mut slots);
        if let httparse::Status::Complete(len) = request.parse(&buf)? {
            let headers: Vec<(String, Vec<u8>)> =
                request.headers.iter().map(|h| (h.name.to_owned(), h.value.to_vec())).collect();
            let version =
                if request.version == Some(1) { HttpVersion::Http11 } else { HttpVersion::Http10 };
            break (
                len,
                request.method.unwrap_or("").to_owned(),
                request.path.unwrap_or("").to_owned(),
                version,
                headers,
            );
        }
    };
    match path.as_str() {
        "/" => {
            let response = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{PAGE}",
                PAGE.len()
            );
            stream.write_all(response.as_bytes())?;
        }
        "/ws" => {
            let headers: Vec<(&str, &[u8])> =
                headers.iter().map(|(n, v)| (n.as_str(), v.as_slice())).collect();
            let parts = RequestParts { method: &method, version, path: &path, headers: &headers };
            // Bytes read past the head already belong to the WebSocket.
            let (mut socket, _) = barews_std::from_upgraded(
                stream,
                &buf[head_len..],
                parts,
                &ServerOptions::default(),
            )?;
            loop {
                match socket.read()? {
                    Message::Text(text) => socket.send_text(&format!("echo: {text}"))?,
                    Message::Binary(bytes) => socket.send_binary(&bytes)?,
                    _ => {}
                }
            }
        }
        _ => stream.write_all(
            b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        )?,
    }
    Ok(())
}
