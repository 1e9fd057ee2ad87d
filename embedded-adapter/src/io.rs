//! The sockets' I/O, written once: [`socket_io!`] expands to the methods
//! of a [`Socket`](crate::socket::Socket) for a transport whose calls are
//! followed by its token argument: nothing for the blocking transport,
//! `await` for the async one. Each method is the driver's loop, doing
//! what the driver asks (read into this, write this out) and nothing of
//! the protocol.

/// The I/O methods of a socket: `socket_io!([] [])` for blocking ones,
/// `socket_io!([async] [await])` for async ones. The impl block around it
/// names the transport `T` (its `Read + Write` bounds), the side `S` and
/// the clock `C`.
macro_rules! socket_io {
    ([$($async:tt)?] [$($aw:tt)?]) => {
        /// Reads the next event: a chunk of a data message, a Ping, a Pong
        /// or the peer's Close. It borrows the receive buffer until the
        /// next call.
        ///
        /// Data arrives as it comes: each chunk is the part of a frame's
        /// payload that was in the buffer (with permessage-deflate, what
        /// that part inflated to, borrowed from the inflate window), with
        /// `first`/`last` marking the message's ends (join them, or use
        /// [`barews::assemble`](barews::assemble) with a buffer of your
        /// own). With the default [`Config`](crate::Config) the Pong for a
        /// Ping and the reply to a Close are sent for you, the reply
        /// before the Close is returned.
        ///
        /// Once the closing handshake is over it returns
        /// [`Error::Ended`]`(`[`End::Closed`](crate::End::Closed)`)`: a server at once, a client after the server
        /// ended the transport (RFC 6455 section 7.1.1; with a clock, no
        /// longer than the close timeout). When the transport ends first
        /// it returns [`Error::Ended`]`(`[`End::AbnormalClosure`](crate::End::AbnormalClosure)`)`.
        pub $($async)? fn read(&mut self) -> Result<Event<'_>, Error<T::Error>> {
            loop {
                match self.driver.poll(&mut self.clock) {
                    Ok(Action::Event(at)) => return Ok(self.driver.event(at)),
                    Ok(Action::Write) => self.write_pending() $(.$aw)? ?,
                    Ok(Action::Read { .. }) => {
                        if !self.fill() $(.$aw)? ? {
                            self.driver.ended();
                        }
                    }
                    // embedded-io cannot end a transport: `into_inner`
                    // gives it back to be closed once `read` fails.
                    Ok(_) => {}
                    Err(end) => return Err(end.into()),
                }
            }
        }

        /// Sends a text message, split at the configured
        /// [`fragment_size`](crate::Config::fragment_size). The text passes
        /// through the send buffer in pieces, so it may be larger than it.
        /// With permessage-deflate agreed it is compressed when its
        /// compressed form fits the send buffer (feature `deflate`).
        pub $($async)? fn send_text(&mut self, text: &str) -> Result<(), Error<T::Error>> {
            self.queue(DataKind::Text, text.as_bytes(), None) $(.$aw)?
        }

        /// Sends a binary message; see `send_text`.
        pub $($async)? fn send_binary(&mut self, data: &[u8]) -> Result<(), Error<T::Error>> {
            self.queue(DataKind::Binary, data, None) $(.$aw)?
        }

        /// Sends data of a message of type `kind`: the first call starts
        /// it, later ones continue it, and the one with `fin` set ends it
        /// (one call with `fin` sends a whole message). Pings, Pongs and a
        /// Close may be sent between calls.
        ///
        /// Each call's payload streams through the send buffer, cut into
        /// frames of at most the configured fragment size. Text is checked
        /// as one UTF-8 stream (a piece may end inside a character, the
        /// last may not) before any of the piece is sent. With
        /// permessage-deflate agreed, a message's only piece (one call
        /// with `fin`) is compressed as `send_text` does; pieces of a
        /// message sent in several calls go uncompressed.
        pub $($async)? fn send(
            &mut self,
            kind: DataKind,
            payload: &[u8],
            fin: bool,
        ) -> Result<(), Error<T::Error>> {
            self.queue(kind, payload, Some(fin)) $(.$aw)?
        }

        /// Sends a whole message (`fin` `None`) or a piece of one, writing
        /// the send buffer out each time it fills.
        $($async)? fn queue(
            &mut self,
            kind: DataKind,
            payload: &[u8],
            fin: Option<bool>,
        ) -> Result<(), Error<T::Error>> {
            let mut rest = payload;
            loop {
                let queued = self.queue_some(kind, rest, fin).map_err(Error::from_send)?;
                rest = rest.get(queued.taken..).unwrap_or_default();
                if queued.complete {
                    return self.flush() $(.$aw)?;
                }
                self.write_pending() $(.$aw)? ?;
            }
        }

        /// Sends a Ping with `payload` (at most 125 bytes); the peer
        /// answers with a Pong, which `read` returns.
        pub $($async)? fn ping(&mut self, payload: &[u8]) -> Result<(), Error<T::Error>> {
            self.driver.conn_mut().ping(payload)?;
            self.flush() $(.$aw)?
        }

        /// Sends an unsolicited Pong (a one-way heartbeat), or the answer to
        /// a Ping when automatic Pongs are off.
        pub $($async)? fn pong(&mut self, payload: &[u8]) -> Result<(), Error<T::Error>> {
            self.driver.conn_mut().pong(payload)?;
            self.flush() $(.$aw)?
        }

        /// Starts the closing handshake: sends a Close with `code` and
        /// `reason` (at most 123 bytes). Keep calling `read`: it returns
        /// what the peer still sends, then its Close, then
        /// [`Error::Ended`]`(`[`End::Closed`](crate::End::Closed)`)`. With a clock, the close timeout applies.
        pub $($async)? fn close(
            &mut self,
            code: CloseCode,
            reason: &str,
        ) -> Result<(), Error<T::Error>> {
            self.driver.conn_mut().close(code, reason)?;
            self.flush() $(.$aw)?
        }

        /// Writes everything waiting (the frames the protocol owes
        /// included) and flushes the transport. The other methods do this
        /// themselves.
        pub $($async)? fn flush(&mut self) -> Result<(), Error<T::Error>> {
            self.driver.queue_owed();
            self.write_pending() $(.$aw)?
        }

        /// Writes the send buffer's pending bytes, then flushes the
        /// transport.
        $($async)? fn write_pending(&mut self) -> Result<(), Error<T::Error>> {
            while !self.driver.pending().is_empty() {
                match self.io.write(self.driver.pending()) $(.$aw)? {
                    Ok(0) => return Err(Error::WriteZero),
                    Ok(n) => self.driver.wrote(n),
                    Err(e) => return Err(Error::Io(e)),
                }
            }
            self.io.flush() $(.$aw)? .map_err(Error::Io)
        }

        /// Reads once into the free end of the receive buffer: `false`
        /// when the transport's input ended.
        $($async)? fn fill(&mut self) -> Result<bool, Error<T::Error>> {
            let spare = self.driver.spare();
            if spare.is_empty() {
                // A head larger than the buffer is refused before this.
                return Err(Error::BufferTooSmall { required: barews::driver::MIN_BUFFER });
            }
            match self.io.read(spare) $(.$aw)? {
                Ok(0) => Ok(false),
                Ok(n) => {
                    self.driver.filled(n);
                    Ok(true)
                }
                Err(e) => Err(Error::Io(e)),
            }
        }

        /// Runs an opening handshake: writes what is pending (a client's
        /// request), then reads until `step` (which does no I/O) has an
        /// answer, and writes what it left in the send buffer (a server's
        /// `101` or HTTP error).
        $($async)? fn open<R>(
            &mut self,
            mut step: impl FnMut(&mut Self) -> Option<Result<R, Error<T::Error>>>,
        ) -> Result<R, Error<T::Error>> {
            self.write_pending() $(.$aw)? ?;
            loop {
                if !self.fill() $(.$aw)? ? {
                    return Err(Error::Ended(crate::End::AbnormalClosure));
                }
                if let Some(result) = step(self) {
                    let written = self.write_pending() $(.$aw)?;
                    return result.and_then(|r| written.map(|()| r));
                }
            }
        }
    };
}

pub(crate) use socket_io;

/// The opening handshakes of a socket, with the doc comment and name of
/// each: `connect` (a [`Connector`](crate::Connector) method), `accept` and
/// `accept_with` ([`Acceptor`](crate::Acceptor) methods). The tokens in
/// brackets are those of [`socket_io!`].
macro_rules! socket_open {
    (
        [$($async:tt)?] [$($aw:tt)?]
        $(#[$connect_doc:meta])* connect: $connect:ident,
        $(#[$accept_doc:meta])* accept: $accept:ident,
        $(#[$accept_with_doc:meta])* accept_with: $accept_with:ident,
    ) => {
        impl<K: MaskKeys, C: Clock, D> Connector<K, C, D> {
            $(#[$connect_doc])*
            pub $($async)? fn $connect<'b, T: Read + Write>(
                self,
                io: T,
                request: ClientRequest<'b>,
                nonce: [u8; 16],
                rx: &'b mut [u8],
                tx: &'b mut [u8],
            ) -> Result<ClientSocket<'b, T, K, C>, Error<T::Error>>
            where
                D: crate::DeflateSetting<'b>,
            {
                let (keys, config, clock, deflate) = self.into_parts();
                let offered = request.protocols();
                // permessage-deflate's offer joins the request's other
                // extensions in `text`, which the handshake reads until
                // it has checked the answer.
                #[cfg(feature = "deflate")]
                let mut text = [0u8; crate::deflate::EXTENSIONS_LEN];
                #[cfg(feature = "deflate")]
                let (window, request, deflate) = crate::deflate::offer(deflate, request, &mut text)?;
                #[cfg(not(feature = "deflate"))]
                let _ = deflate;
                let (mut handshake, len) = Self::request(request, nonce, tx)?;
                let conn = Connection::client(config, keys);
                // Without the feature there is no window: `Driver::new`
                // makes the client flow 48 bytes smaller than
                // `with_limits` with an empty one (measured on Cortex-M4).
                #[cfg(feature = "deflate")]
                let driver =
                    Driver::with_limits(conn, rx, tx, window, barews::driver::Limits::FIXED);
                #[cfg(not(feature = "deflate"))]
                let driver = Driver::new(conn, rx, tx);
                // The socket is made where it is returned from, and the
                // handshake runs on it there: returning a socket made
                // elsewhere would copy it (about 700 bytes).
                let mut socket = match driver {
                    Ok(driver) => Ok(WebSocket::new(io, driver, clock)),
                    Err(error) => Err(Error::from(error)),
                };
                if let Ok(ws) = &mut socket {
                    ws.driver.output_mut().commit(len);
                    let check = |ws: &mut ClientSocket<'b, T, K, C>| {
                        check_response(
                            &mut ws.driver,
                            &mut handshake,
                            offered,
                            #[cfg(feature = "deflate")]
                            deflate.as_ref(),
                        )
                    };
                    match ws.open(check) $(.$aw)? {
                        Ok(protocol) => ws.protocol = protocol,
                        Err(error) => socket = Err(error),
                    }
                }
                #[cfg(feature = "deflate")]
                if let (Ok(ws), Some(deflate)) = (&mut socket, deflate) {
                    ws.compressor = deflate.compressor(ws.driver.conn());
                }
                socket
            }
        }

        impl<'o, C: Clock, D> Acceptor<'o, C, D> {
            $(#[$accept_doc])*
            pub $($async)? fn $accept<'b, T: Read + Write>(
                self,
                io: T,
                rx: &'b mut [u8],
                tx: &'b mut [u8],
            ) -> Result<ServerSocket<'b, T, C>, Error<T::Error>>
            where
                D: crate::DeflateSetting<'b>,
            {
                let options = self.accept_options();
                self.$accept_with(io, rx, tx, |_| Ok(options)) $(.$aw)?
            }

            $(#[$accept_with_doc])*
            pub $($async)? fn $accept_with<'b, T, F>(
                self,
                io: T,
                rx: &'b mut [u8],
                tx: &'b mut [u8],
                decide: F,
            ) -> Result<ServerSocket<'b, T, C>, Error<T::Error>>
            where
                T: Read + Write,
                F: FnOnce(&Request<'_>) -> Result<AcceptOptions<'o>, u16>,
                D: crate::DeflateSetting<'b>,
            {
                let crate::open::ServerOpening {
                    driver,
                    mut handshake,
                    clock,
                    #[cfg(feature = "deflate")]
                    deflate,
                } = self.open(rx, tx)?;
                #[cfg(feature = "deflate")]
                let mut agreed = None;
                let mut socket = Ok(WebSocket::new(io, driver, clock));
                if let Ok(ws) = &mut socket {
                    // permessage-deflate's answer joins the `101`'s other
                    // extensions in `text`; `agreed` gets its parameters.
                    #[cfg(feature = "deflate")]
                    let mut text = [0u8; crate::deflate::EXTENSIONS_LEN];
                    #[cfg(feature = "deflate")]
                    let decide = crate::deflate::answering(
                        deflate.as_ref(),
                        decide,
                        &mut text,
                        &mut agreed,
                    );
                    let mut decide = Some(decide);
                    let answer = |ws: &mut ServerSocket<'b, T, C>| {
                        answer_request(&mut ws.driver, &mut handshake, &mut decide)
                    };
                    if let Err(error) = ws.open(answer) $(.$aw)? {
                        socket = Err(error);
                    }
                }
                #[cfg(feature = "deflate")]
                if let (Ok(ws), Some(deflate), Some(params)) = (&mut socket, deflate, agreed) {
                    ws.driver.conn_mut().enable_deflate(params);
                    ws.compressor = deflate.compressor(ws.driver.conn());
                }
                socket
            }
        }
    };
}

pub(crate) use socket_open;
