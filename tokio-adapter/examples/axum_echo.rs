//! An axum app: `/` serves a page whose script opens a WebSocket to `/ws`,
//! sends what you type and shows what comes back; `/ws` is upgraded by
//! barews and echoes text and binary messages.
//!
//! ```sh
//! cargo run --release -p barews-tokio --example axum_echo -- 127.0.0.1:3000
//! ```
//!
//! Then open `http://127.0.0.1:3000/` in a browser. A headless check:
//!
//! ```sh
//! chromium --headless --no-sandbox --virtual-time-budget=3000 \
//!     --dump-dom 'http://127.0.0.1:3000/?send=hello'     # the log shows "echo: hello"
//! ```

use axum::Router;
use axum::extract::Request;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use barews_tokio::upgrade::upgrade;
use barews_tokio::{End, Error, Message, ServerOptions};

const PAGE: &str = r#"<!doctype html>
<meta charset="utf-8">
<title>barews echo</title>
<input id="text" value="hello" autofocus> <button id="send">send</button>
<pre id="log"></pre>
<script>
  const log = (line) => document.getElementById("log").textContent += line + "\n";
  const socket = new WebSocket(`ws://${location.host}/ws`);
  // `/?send=TEXT` sends TEXT as soon as the socket opens (for a headless
  // browser check).
  const auto = new URLSearchParams(location.search).get("send");
  socket.onopen = () => { log("open"); if (auto) socket.send(auto); };
  socket.onmessage = (event) => log("echo: " + event.data);
  socket.onclose = (event) => log("closed " + event.code);
  document.getElementById("send").onclick = () => socket.send(document.getElementById("text").value);
</script>
"#;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:3000".to_owned());
    let app = Router::new().route("/", get(|| async { Html(PAGE) })).route("/ws", get(ws));
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("axum echo listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app).await
}

/// `/ws`: the core validates the upgrade; the socket echoes in a task of its
/// own once axum has sent the `101`.
async fn ws(mut request: Request) -> Response {
    let (response, pending) = upgrade(&mut request, &ServerOptions::default());
    if let Some(pending) = pending {
        tokio::spawn(async move {
            let result = async {
                let (mut socket, _) = pending.socket().await?;
                loop {
                    match socket.read().await? {
                        Message::Text(text) => socket.send_text(&text).await?,
                        Message::Binary(bytes) => socket.send_binary(&bytes).await?,
                        _ => {}
                    }
                }
            };
            match result.await {
                Ok(()) | Err(Error::Ended(End::Closed | End::AbnormalClosure)) => {}
                Err(error) => eprintln!("websocket ended: {error}"),
            }
        });
    }
    response.into_response()
}
