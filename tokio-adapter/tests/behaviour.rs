//! The socket's waiting behaviour over in-memory pipes, on tokio's paused
//! clock: the core's timers, the handshake timeout, cancellation in
//! `select!`, and backpressure on a peer that does not read.

use barews::config::Config;
use barews::connection::Expired;
use barews::time::Duration as CoreDuration;
use barews_tokio::{
    ClientOptions, ClientSocket, End, Error, Message, ServerOptions, ServerSocket, SocketOptions,
    WsUrl,
};
use std::time::Duration;
use tokio::io::{AsyncWriteExt, DuplexStream, duplex};
use tokio::time::{Instant, sleep, timeout};

/// A server and a client socket joined by an in-memory pipe holding
/// `capacity` bytes each way.
async fn pair(
    capacity: usize,
    server: &ServerOptions,
    client: &ClientOptions,
) -> (ServerSocket<DuplexStream>, ClientSocket<DuplexStream>) {
    let (a, b) = duplex(capacity);
    let url = WsUrl::parse("ws://localhost/").unwrap();
    let (accepted, connected) =
        tokio::join!(barews_tokio::accept_with(a, server), barews_tokio::client(b, &url, client));
    (accepted.unwrap().0, connected.unwrap().0)
}

#[tokio::test(start_paused = true)]
async fn a_silent_peer_gets_a_keepalive_ping_then_is_given_up() {
    let mut server = ServerOptions::default();
    server.socket.config = Config::new()
        .with_keepalive(Some(CoreDuration::from_secs(30)))
        .with_keepalive_timeout(CoreDuration::from_secs(10));
    let (mut socket, mut peer) = pair(4096, &server, &ClientOptions::default()).await;
    let start = Instant::now();
    // The peer never reads, so it never answers the Ping.
    let result = socket.read().await;
    assert!(matches!(result, Err(Error::Ended(End::Expired(Expired::Keepalive)))), "{result:?}");
    assert_eq!(start.elapsed().as_secs(), 40);
    // What the server sent meanwhile: the Ping; then it ended the
    // transport without a closing handshake (the peer is presumed gone).
    assert_eq!(peer.read().await.unwrap(), Message::Ping(Vec::new()));
    assert!(matches!(peer.read().await, Err(Error::Ended(End::AbnormalClosure))));
}

#[tokio::test(start_paused = true)]
async fn a_peer_that_answers_keeps_the_connection_alive() {
    let mut server = ServerOptions::default();
    server.socket.config = Config::new()
        .with_keepalive(Some(CoreDuration::from_secs(30)))
        .with_keepalive_timeout(CoreDuration::from_secs(10));
    let (mut socket, mut peer) = pair(4096, &server, &ClientOptions::default()).await;
    // The peer reads (and so answers Pings) for five minutes, then speaks.
    let peer_task = tokio::spawn(async move {
        let deadline = Instant::now() + Duration::from_secs(300);
        while let Ok(Ok(message)) = timeout(deadline - Instant::now(), peer.read()).await {
            assert_eq!(message, Message::Ping(Vec::new()));
        }
        peer.send_text("still here").await.unwrap();
        peer
    });
    let mut pongs = 0;
    loop {
        match socket.read().await.unwrap() {
            Message::Pong(payload) if payload.is_empty() => pongs += 1,
            message => {
                assert_eq!(message, Message::Text("still here".into()));
                break;
            }
        }
    }
    // The core looks every 30 s and pings when nothing arrived since it
    // last looked; the Pong counts as something, so the next look passes:
    // Pings at 30, 90, 150, 210 and 270 s, each answered.
    assert_eq!(pongs, 5);
    drop(peer_task.await.unwrap());
}

#[tokio::test(start_paused = true)]
async fn a_slow_loris_client_is_dropped_at_the_handshake_timeout() {
    let (a, mut b) = duplex(4096);
    let mut options = ServerOptions::default();
    options.handshake_timeout = Duration::from_secs(5);
    let server = tokio::spawn(async move {
        let start = Instant::now();
        let result = barews_tokio::accept_with(a, &options).await;
        (result.map(|_| ()), start.elapsed())
    });
    // One line of the request, then a byte now and then, never the end.
    b.write_all(b"GET / HTTP/1.1\r\n").await.unwrap();
    for _ in 0..20 {
        sleep(Duration::from_secs(1)).await;
        if b.write_all(b"X").await.is_err() {
            break;
        }
    }
    let (result, elapsed) = server.await.unwrap();
    assert!(matches!(result, Err(Error::HandshakeTimeout)), "{result:?}");
    assert_eq!(elapsed, Duration::from_secs(5));
}

#[tokio::test(start_paused = true)]
async fn a_read_cancelled_by_select_loses_nothing_of_a_message_in_pieces() {
    let (mut socket, mut peer) =
        pair(4096, &ServerOptions::default(), &ClientOptions::default()).await;
    let kind = barews::connection::DataKind::Text;
    let sender = tokio::spawn(async move {
        for (piece, fin) in [("one ", false), ("two ", false), ("three", true)] {
            peer.send_fragment(kind, piece.as_bytes(), fin).await.unwrap();
            sleep(Duration::from_millis(25)).await;
        }
        peer.send_text("next").await.unwrap();
        peer
    });
    let (mut message, mut cancelled) = (None, 0);
    while message.is_none() {
        tokio::select! {
            read = socket.read() => message = Some(read.unwrap()),
            () = sleep(Duration::from_millis(10)) => cancelled += 1,
        }
    }
    assert_eq!(message.unwrap(), Message::Text("one two three".into()));
    assert!(cancelled >= 4, "the read was cancelled {cancelled} times");
    assert_eq!(socket.read().await.unwrap(), Message::Text("next".into()));
    drop(sender.await.unwrap());
}

#[tokio::test(start_paused = true)]
async fn queueing_waits_for_a_peer_that_does_not_read_and_memory_stays_bounded() {
    let mut server = ServerOptions::default();
    server.socket.write_buffer_size = 8 * 1024;
    let (mut socket, mut peer) = pair(1024, &server, &ClientOptions::default()).await;
    let message = vec![7u8; 1024];
    let mut queued = 0;
    // The peer reads nothing: queueing stops once the write buffer (8 KiB)
    // is full and the pipe (1 KiB) takes no more of it.
    let waited = timeout(Duration::from_secs(1), async {
        loop {
            socket.queue_binary(&message).await.unwrap();
            queued += 1;
        }
    })
    .await;
    assert!(waited.is_err(), "queueing never waited");
    // Each message is 1028 bytes framed: 7 fit under 8 KiB; the 8th fills
    // the buffer and waits for the transport.
    assert_eq!(queued, 7, "{queued} messages of 1 KiB queued");
    // Once the peer reads, everything queued arrives, in order, whole.
    let reader = tokio::spawn(async move {
        // The 7 queued, the one that waited, and one more.
        for _ in 0..queued + 2 {
            assert_eq!(peer.read().await.unwrap(), Message::Binary(vec![7u8; 1024]));
        }
    });
    socket.send_binary(&message).await.unwrap();
    reader.await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn split_halves_read_and_write_from_two_tasks_and_close_together() {
    let (socket, mut peer) = pair(4096, &ServerOptions::default(), &ClientOptions::default()).await;
    let (mut reader, writer) = socket.split();
    // The writer task sends while the reader task waits for input.
    let sending = {
        let writer = writer.clone();
        tokio::spawn(async move {
            for i in 0..50 {
                writer.send_text(&format!("tick {i}")).await.unwrap();
                sleep(Duration::from_millis(5)).await;
            }
        })
    };
    let reading = tokio::spawn(async move {
        let mut seen = Vec::new();
        loop {
            match reader.read().await {
                Ok(message) => seen.push(message),
                Err(error) => return (seen, error),
            }
        }
    });
    // The peer pings in the middle: the reader's side answers at once,
    // between the writer's messages.
    let (mut ticks, mut pongs) = (0, 0);
    while ticks < 50 {
        match peer.read().await.unwrap() {
            Message::Text(text) => {
                assert_eq!(text, format!("tick {ticks}"));
                ticks += 1;
                if ticks == 25 {
                    peer.ping(b"mid").await.unwrap();
                }
            }
            message => {
                assert_eq!(message, Message::Pong(b"mid".to_vec()));
                assert!(ticks < 30, "the Pong came after {ticks} ticks");
                pongs += 1;
            }
        }
    }
    assert_eq!(pongs, 1);
    sending.await.unwrap();
    peer.send_text("bye").await.unwrap();
    writer.close(barews::close::CloseCode::NORMAL, "done").await.unwrap();
    let close = peer.read().await.unwrap();
    assert!(matches!(close, Message::Close(Some(ref info)) if info.reason == "done"), "{close:?}");
    // The peer's reply completes the handshake; the reader sees it end.
    let (seen, end) = reading.await.unwrap();
    // read() hands out control frames too: the Ping (already answered),
    // the message, and the peer's Close reply.
    let reply =
        barews_tokio::CloseInfo { code: barews::close::CloseCode::NORMAL, reason: String::new() };
    assert_eq!(
        seen,
        [Message::Ping(b"mid".to_vec()), Message::Text("bye".into()), Message::Close(Some(reply))]
    );
    assert!(matches!(end, Error::Ended(End::Closed)), "{end:?}");
    assert!(matches!(peer.read().await, Err(Error::Ended(End::Closed))));
}

#[tokio::test(start_paused = true)]
async fn a_graceful_shutdown_closes_every_watching_socket_with_1001_within_the_deadline() {
    use barews_tokio::Shutdown;
    let shutdown = Shutdown::new();
    let mut peers = Vec::new();
    let mut servers = Vec::new();
    for _ in 0..50 {
        let (mut socket, peer) =
            pair(4096, &ServerOptions::default(), &ClientOptions::default()).await;
        socket.watch_shutdown(&shutdown);
        servers.push(tokio::spawn(async move {
            loop {
                match socket.read().await {
                    Ok(Message::Text(text)) => socket.send_text(&text).await.unwrap(),
                    Ok(_) => {}
                    Err(error) => return error,
                }
            }
        }));
        peers.push(peer);
    }
    assert_eq!(shutdown.watching(), 50);
    // Every peer but the last reads, so answers the server's Close; the
    // last one has stopped reading and never will.
    let stuck = peers.pop().unwrap();
    let readers: Vec<_> = peers
        .into_iter()
        .map(|mut peer| {
            tokio::spawn(async move {
                peer.send_text("before").await.unwrap();
                assert_eq!(peer.read().await.unwrap(), Message::Text("before".into()));
                let close = peer.read().await.unwrap();
                let end = peer.read().await;
                (close, end)
            })
        })
        .collect();
    sleep(Duration::from_millis(100)).await;
    let start = Instant::now();
    shutdown.trigger();
    assert!(shutdown.wait(Duration::from_secs(10)).await, "sockets still open");
    // The stuck peer held its server until the close timeout (5 s).
    assert_eq!(start.elapsed().as_secs(), 5);
    assert_eq!(shutdown.watching(), 0);
    for reader in readers {
        let (close, end) = reader.await.unwrap();
        let going_away = barews_tokio::CloseInfo {
            code: barews::close::CloseCode::GOING_AWAY,
            reason: "server shutting down".into(),
        };
        assert_eq!(close, Message::Close(Some(going_away)));
        assert!(matches!(end, Err(Error::Ended(End::Closed))), "{end:?}");
    }
    let mut ends = Vec::new();
    for server in servers {
        ends.push(server.await.unwrap());
    }
    let closed = ends.iter().filter(|e| matches!(e, Error::Ended(End::Closed))).count();
    let expired = ends
        .iter()
        .filter(|e| matches!(e, Error::Ended(End::Expired(Expired::CloseHandshake))))
        .count();
    assert_eq!((closed, expired), (49, 1));
    drop(stuck);
}

#[tokio::test(start_paused = true)]
async fn slow_loris_and_vanishing_peers_leave_no_task_behind() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    /// Counts a server task while it lives.
    struct Live(Arc<AtomicUsize>);
    impl Drop for Live {
        fn drop(&mut self) {
            self.0.fetch_sub(1, Ordering::SeqCst);
        }
    }
    let live = Arc::new(AtomicUsize::new(0));
    let mut options = ServerOptions::default();
    options.handshake_timeout = Duration::from_secs(5);
    let options = Arc::new(options);
    let url = WsUrl::parse("ws://localhost/").unwrap();
    let mut held = Vec::new();
    for i in 0..300 {
        let (server_end, mut peer) = duplex(4096);
        live.fetch_add(1, Ordering::SeqCst);
        let guard = Live(Arc::clone(&live));
        let options = Arc::clone(&options);
        tokio::spawn(async move {
            let _guard = guard;
            let Ok((mut socket, _)) = barews_tokio::accept_with(server_end, &options).await else {
                return;
            };
            while socket.read().await.is_ok() {}
        });
        match i % 3 {
            // Slow loris: half a request, then nothing, the stream kept open.
            0 => {
                peer.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n").await.unwrap();
                held.push(peer);
            }
            // Gone in the middle of the request.
            1 => {
                peer.write_all(b"GET / HTTP/1.1\r\nUpg").await.unwrap();
                drop(peer);
            }
            // Gone after the handshake, without a Close.
            _ => {
                let (socket, _) =
                    barews_tokio::client(peer, &url, &ClientOptions::default()).await.unwrap();
                drop(socket);
            }
        }
    }
    // The vanished peers' tasks end at once; the slow ones at the handshake
    // timeout.
    sleep(Duration::from_secs(1)).await;
    assert_eq!(live.load(Ordering::SeqCst), 100);
    sleep(Duration::from_secs(5)).await;
    assert_eq!(live.load(Ordering::SeqCst), 0);
    drop(held);
}

/// What a serving task holds for an idle connection: the socket and the
/// `read` it waits in (tokio rounds the task's allocation up to 128 bytes,
/// so a few bytes more can cost 128 per connection; docs/tokio.md has the
/// measured memory per idle connection these sizes give).
#[tokio::test]
async fn an_idle_socket_and_its_read_fit_the_memory_budget() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let stream = tokio::net::TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
    let mut socket = ServerSocket::server_from_raw(stream, &[], &SocketOptions::default()).unwrap();
    let socket_size = std::mem::size_of_val(&socket);
    assert!(socket_size <= 880, "the socket takes {socket_size} bytes");
    let read_size = std::mem::size_of_val(&socket.read());
    assert!(read_size <= 32, "a read in progress takes {read_size} bytes");
    let queue_size = std::mem::size_of_val(&socket.queue_text("echo"));
    assert!(queue_size <= 32, "queueing a message takes {queue_size} bytes");
    let accept_size = std::mem::size_of_val(&barews_tokio::accept(stream_pair().await));
    assert!(accept_size <= 8, "the handshake's state is on the heap, not in the task");
}

async fn stream_pair() -> tokio::net::TcpStream {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    tokio::net::TcpStream::connect(listener.local_addr().unwrap()).await.unwrap()
}

#[tokio::test]
async fn a_queued_ping_goes_out_before_a_close_queued_after_it() {
    let (mut server, mut client) =
        pair(64 * 1024, &ServerOptions::default(), &ClientOptions::default()).await;
    server.queue(Message::Ping(b"still there?".to_vec())).await.unwrap();
    let closing =
        tokio::spawn(async move { server.close(barews::close::CloseCode::NORMAL, "done").await });
    assert_eq!(client.read().await.unwrap(), Message::Ping(b"still there?".to_vec()));
    assert!(matches!(client.read().await.unwrap(), Message::Close(Some(_))));
    closing.await.unwrap().unwrap();
}
