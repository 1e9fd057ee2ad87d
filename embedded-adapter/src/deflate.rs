//! permessage-deflate (RFC 7692) with small windows, in memory the caller
//! lends (feature `deflate`): no allocator.
//!
//! A connection that compresses needs three pieces of memory besides its
//! two buffers:
//!
//! - the **inflate window**, a slice you lend: the history of what the
//!   peer sent, into which its compressed messages are inflated (their
//!   chunks are handed out from it). Its size sets the largest window the
//!   peer may compress with: a window of 2^N bytes (N from 8 to 15, so
//!   256 B to 32 KiB) is negotiated as `N` bits, and a larger slice that
//!   is not a power of two is used up to the power of two below its size.
//!   See [`window_size`].
//! - the **compressor memory**, a slice you lend, or an empty one to send
//!   every message uncompressed (which the extension allows) and still
//!   receive compressed ones: [`compressor_size`] bytes for windows of N
//!   bits at the configured level. With [`Context::Kept`]'s size the
//!   compressor keeps the end of what it sent as history for the next
//!   message (context takeover: better ratio on similar messages). Where
//!   [`Context::Reset`]'s size is the smaller (up to 10-bit windows at
//!   levels 1-3: the hash table alone), memory of that size makes it
//!   compress each message on its own, and the handshake says so
//!   (`client_no_context_takeover` from a client,
//!   `server_no_context_takeover` from a server). For larger windows the
//!   core gives a compressor without context a larger table (one meant to
//!   be shared by many connections), so lend [`Context::Kept`]'s size.
//! - the **inflater's state**, about 10 KiB (`miniz_oxide`'s
//!   `DecompressorOxide`), held inline in the socket by the core's driver
//!   once the crate is built with this feature.
//!
//! At level 1 (the default) and 9-bit windows that is 512 B of window,
//! 2.5 KiB of compressor memory (2 KiB of hash table and 512 B of
//! history), and the inflater's state, per connection.
//!
//! What is negotiated, with N the window bits of the window lent (or
//! fewer where the [`DeflateConfig`] asks for fewer: each window is the
//! smaller of the two):
//!
//! - a client ([`Connector::with_deflate`](crate::Connector::with_deflate))
//!   offers `permessage-deflate; server_max_window_bits=N;
//!   client_max_window_bits=N`, and fails the connection
//!   ([`Error::Deflate`]) if the server's answer breaks the offer (the
//!   core checks it);
//! - a server ([`Acceptor::with_deflate`](crate::Acceptor::with_deflate))
//!   accepts the first offer the core accepts with the client's window
//!   capped at N, and answers with `server_max_window_bits=N` (when N is
//!   under 15), the window its own compressor keeps to. The core declines
//!   an offer without `client_max_window_bits` unless N is 15: that client
//!   compresses with 15-bit windows (RFC 7692 section 7.1.2.2). Without
//!   an acceptable offer the connection runs uncompressed.
//!
//! The rest of the [`DeflateConfig`] (context takeover, level, the
//! smallest message compressed) is yours as well.
//!
//! The extension's element is joined to the other extensions of the
//! request (those of the [`ClientRequest`]) or of
//! the `101` (those of the [`AcceptOptions`]) in [`EXTENSIONS_LEN`]
//! bytes on the stack during the opening handshake: a client whose own
//! extensions leave no room for the offer fails with
//! [`Error::BufferTooSmall`] before anything is sent; a server declines
//! the offer and answers with its other extensions alone.
//!
//! Sending: a whole message (`send_text`, `send_binary`, or `send` with
//! `fin` for a message's only piece) of at least
//! [`DeflateConfig::min_size`] bytes is compressed into the send buffer
//! and written from there, all at once. It must fit: the core's driver
//! sends a message whose compressed form does not fit even an empty send
//! buffer (about its length plus 5 bytes per 64 KiB and the frame header:
//! a 512-byte send buffer compresses messages of up to about 500 bytes)
//! uncompressed, streamed as usual. Pieces of a message sent one by one go
//! uncompressed.
//! Receiving: chunks of a compressed message are handed out from the
//! inflate window as they are inflated, each at most the window's size.
//!
//! ```
//! use barews_embedded::deflate::{Context, Deflate, compressor_size};
//! use barews_embedded::{ClientRequest, Connector, Event};
//! # struct Script<'a> { input: &'a [u8], output: Vec<u8> }
//! # impl embedded_io::ErrorType for Script<'_> { type Error = core::convert::Infallible; }
//! # impl embedded_io::Read for Script<'_> {
//! #     fn read(&mut self, buf: &mut [u8]) -> Result<usize, Self::Error> {
//! #         let n = buf.len().min(self.input.len());
//! #         buf[..n].copy_from_slice(&self.input[..n]);
//! #         self.input = &self.input[n..];
//! #         Ok(n)
//! #     }
//! # }
//! # impl embedded_io::Write for Script<'_> {
//! #     fn write(&mut self, buf: &[u8]) -> Result<usize, Self::Error> { self.output.extend_from_slice(buf); Ok(buf.len()) }
//! #     fn flush(&mut self) -> Result<(), Self::Error> { Ok(()) }
//! # }
//! // A server accepting 9-bit windows, then "Hello" compressed (RFC 7692
//! // section 7.2.3.1).
//! let mut peer = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\
//!     Connection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\
//!     Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=9; \
//!     client_max_window_bits=9\r\n\r\n".to_vec();
//! peer.extend([0xc1, 0x07, 0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00]);
//! let socket = Script { input: &peer, output: Vec::new() };
//!
//! let (mut rx, mut tx) = ([0u8; 512], [0u8; 512]);
//! // Memory for 9-bit windows at level 1 (the default), with context takeover.
//! let mut window = [0u8; 512];
//! let mut compressor = [0u8; compressor_size(9, 1, Context::Kept)];
//! # fn hardware_rng() -> [u8; 4] { [1, 2, 3, 4] }
//! let mut ws = Connector::new(hardware_rng)
//!     .with_deflate(Deflate::new(&mut window, &mut compressor))
//!     .connect(socket, ClientRequest::new("example.com", "/"), *b"the sample nonce", &mut rx, &mut tx)?;
//! assert!(ws.connection().deflate_enabled());
//! let Event::Data { payload, .. } = ws.read()? else { panic!() };
//! assert_eq!(payload, b"Hello"); // inflated into `window`
//! ws.send_text(&"compressible ".repeat(20))?;
//! let written = ws.into_inner().output;
//! let head = written.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
//! let (request, frame) = written.split_at(head);
//! assert!(String::from_utf8_lossy(request).contains(
//!     "\r\nSec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=9; \
//!      client_max_window_bits=9\r\n"
//! ));
//! // 260 bytes of text in one compressed frame (RSV1 set), header included
//! // far shorter.
//! assert_eq!(frame[0], 0xc1);
//! assert!(frame.len() < 50, "{}", frame.len());
//! # Ok::<(), barews_embedded::Error<core::convert::Infallible>>(())
//! ```

use crate::DeflateSetting;
use crate::error::Error;
use barews::BufferTooSmall;
use barews::connection::{Connection, Side};
use barews::deflate::Compressor;
use barews::handshake::client::{ClientRequest, Response};
use barews::handshake::server::{AcceptOptions, Request};
use core::fmt;

pub use barews::deflate::{Context, DeflateConfig, DeflateParams, NegotiationError};

/// The longest `Sec-WebSocket-Extensions` value a socket writes with
/// permessage-deflate: the extension's element (at most 127 bytes) after
/// the request's or the `101`'s other extensions. It is written on the
/// stack, during the opening handshake only.
pub const EXTENSIONS_LEN: usize = 192;

/// The smallest inflate window: 256 bytes, for 8-bit windows.
pub const MIN_WINDOW: usize = window_size(8);

/// The inflate window for peers compressing with windows of up to `bits`
/// bits (8-15): 2^`bits` bytes.
pub const fn window_size(bits: u8) -> usize {
    barews::deflate::window_size(bits)
}

/// The compressor memory for windows of up to `bits` bits (8-15) at
/// compression `level` (0-9), keeping context between messages or not:
/// [`Compressor::memory_size`]. At level 1 with [`Context::Kept`], a hash
/// table of 4 bytes per byte of window (2 KiB for 9 bits, at most 4 KiB)
/// and 2^`bits` bytes of history (at most 8 KiB); with [`Context::Reset`]
/// the table alone, up to four times as large (at most 16 KiB, from
/// 11-bit windows on more than [`Context::Kept`] needs).
pub const fn compressor_size(bits: u8, level: u8, context: Context) -> usize {
    Compressor::<&'static mut [u8]>::memory_size(bits, level, context)
}

/// The window bits an inflate window of `len` bytes holds: the largest N
/// from 8 to 15 with 2^N bytes at most `len`, or `None` under
/// [`MIN_WINDOW`].
pub const fn window_bits(len: usize) -> Option<u8> {
    if len < MIN_WINDOW {
        return None;
    }
    let bits = usize::BITS - 1 - len.leading_zeros();
    // At most 15: the cast cannot truncate.
    #[allow(clippy::cast_possible_truncation)]
    Some(if bits > 15 { 15 } else { bits as u8 })
}

/// permessage-deflate for the sockets a [`Connector`](crate::Connector)
/// or an [`Acceptor`](crate::Acceptor) opens: what to negotiate (a
/// [`DeflateConfig`]) and the memory lent for it, which must live as long
/// as the socket's buffers. See the [module documentation](self) for what
/// each piece is for and how large it must be.
///
/// The memory is checked when the socket is opened:
/// [`Error::BufferTooSmall`] for a window
/// under [`MIN_WINDOW`] bytes, or for compressor memory that is neither
/// empty nor at least the smaller of [`compressor_size`]`(N, level,
/// Context::Kept)` and `compressor_size(N, level, Context::Reset)` bytes,
/// N the window's bits. One
/// `Deflate` opens one socket; lend the memory again for the next.
///
/// ```
/// use barews_embedded::deflate::{Context, Deflate, DeflateConfig, compressor_size, window_size};
///
/// // 10-bit windows; each message compressed on its own (only the hash
/// // table is lent), at level 1, from 64 bytes up.
/// let mut window = [0u8; window_size(10)];
/// let mut compressor = [0u8; compressor_size(10, 1, Context::Reset)];
/// let deflate = Deflate::new(&mut window, &mut compressor)
///     .with_config(DeflateConfig::new().with_min_size(64));
/// assert_eq!(deflate.window_bits(), Some(10));
///
/// // Compressed messages received, none sent.
/// let mut window = [0u8; 1000]; // 512 bytes of it used: 9 bits
/// let deflate = Deflate::new(&mut window, &mut []);
/// assert_eq!(deflate.window_bits(), Some(9));
/// ```
pub struct Deflate<'m> {
    config: DeflateConfig,
    window: &'m mut [u8],
    compressor: &'m mut [u8],
}

impl<'m> Deflate<'m> {
    /// permessage-deflate with [`DeflateConfig::new`]'s settings (context
    /// takeover both ways, level 1, messages from 32 bytes up compressed)
    /// and windows of the size of `window`, compressing in `compressor`
    /// (empty: nothing is compressed on sending).
    pub fn new(window: &'m mut [u8], compressor: &'m mut [u8]) -> Self {
        Deflate { config: DeflateConfig::new(), window, compressor }
    }

    /// Sets context takeover, the level, the smallest message compressed
    /// and the window bits, which the window lent caps: each window
    /// negotiated is the smaller of the config's and the lent window's.
    #[must_use]
    pub fn with_config(mut self, config: DeflateConfig) -> Self {
        self.config = config;
        self
    }

    /// The window bits the window lent holds, the most that is negotiated:
    /// `None` if it is too small.
    pub fn window_bits(&self) -> Option<u8> {
        window_bits(self.window.len())
    }

    /// Checks the memory: the inflate window (a power of two) for the
    /// driver, and what to negotiate with.
    fn split<E>(self) -> Result<(&'m mut [u8], Negotiation<'m>), Error<E>> {
        let Some(bits) = self.window_bits() else {
            return Err(Error::BufferTooSmall { required: MIN_WINDOW });
        };
        let level = self.config.level();
        let len = self.compressor.len();
        let kept = compressor_size(bits, level, Context::Kept);
        let required = kept.min(compressor_size(bits, level, Context::Reset));
        if len > 0 && len < required {
            return Err(Error::BufferTooSmall { required });
        }
        let resets = len > 0 && len < kept;
        let window = self.window.get_mut(..window_size(bits)).unwrap_or_default();
        let negotiation =
            Negotiation { config: self.config, bits, resets, compressor: self.compressor };
        Ok((window, negotiation))
    }
}

impl fmt::Debug for Deflate<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Deflate")
            .field("config", &self.config)
            .field("window", &self.window.len())
            .field("compressor", &self.compressor.len())
            .finish()
    }
}

/// What a socket being opened negotiates with: the caller's settings, the
/// window bits the inflate window holds, whether the compressor memory
/// is too small to keep context, and that memory.
pub(crate) struct Negotiation<'b> {
    config: DeflateConfig,
    bits: u8,
    resets: bool,
    compressor: &'b mut [u8],
}

/// The memory `setting` lends, checked (see [`Deflate`]): the inflate
/// window for the driver (empty without the extension), and what to
/// negotiate with.
pub(crate) fn lent<'b, E>(
    setting: impl DeflateSetting<'b>,
) -> Result<(&'b mut [u8], Option<Negotiation<'b>>), Error<E>> {
    match setting.into_deflate() {
        Some(deflate) => deflate.split().map(|(window, negotiation)| (window, Some(negotiation))),
        None => Ok((&mut [], None)),
    }
}

/// A client's inflate window for the driver (empty without the
/// extension), its request, and what the answer is checked against.
type Offered<'b, 't> = (&'b mut [u8], ClientRequest<'t>, Option<Negotiation<'b>>);

/// A client's permessage-deflate, if `setting` asks for it: the inflate
/// window, `request` with the offer joined to its extensions in `text`,
/// and what the answer is checked against.
pub(crate) fn offer<'b, 't, E>(
    setting: impl DeflateSetting<'b>,
    request: ClientRequest<'t>,
    text: &'t mut [u8],
) -> Result<Offered<'b, 't>, Error<E>> {
    let (window, negotiation) = lent(setting)?;
    let Some(negotiation) = negotiation else { return Ok((window, request, None)) };
    let config = negotiation.client_config();
    let offer = join(request.extensions(), |text| config.write_offer(text), text)?;
    Ok((window, request.with_extensions(Some(offer)), Some(negotiation)))
}

impl<'b> Negotiation<'b> {
    /// The caller's settings with each window capped at the inflate
    /// window's bits.
    const fn capped(&self) -> DeflateConfig {
        let config = self.config;
        let client_bits = match config.client_max_window_bits() {
            Some(bits) => min(bits, self.bits),
            None => self.bits,
        };
        config
            .with_server_max_window_bits(min(config.server_max_window_bits(), self.bits))
            .with_client_max_window_bits(Some(client_bits))
    }

    /// The offer a client makes and checks the answer against.
    const fn client_config(&self) -> DeflateConfig {
        let config = self.capped();
        if self.resets { config.with_client_no_context_takeover(true) } else { config }
    }

    /// What a server accepts offers with.
    const fn server_config(&self) -> DeflateConfig {
        let config = self.capped();
        if self.resets { config.with_server_no_context_takeover(true) } else { config }
    }

    /// What the server's answer `response` agreed to, checked against the
    /// offer: `None` if it did not accept the extension.
    pub(crate) fn agreed<E>(
        &self,
        response: &Response<'_>,
    ) -> Result<Option<DeflateParams>, Error<E>> {
        response.deflate(&self.client_config()).map_err(Error::Deflate)
    }

    /// A server's answer to `request`: the first permessage-deflate offer
    /// the core accepts with the client's window capped at the inflate
    /// window's. The element is added to `options`' extensions in `text`;
    /// the offer is declined when they do not fit it together.
    fn answer<'t>(
        &self,
        request: &Request<'_>,
        options: AcceptOptions<'t>,
        text: &'t mut [u8],
    ) -> (AcceptOptions<'t>, Option<DeflateParams>) {
        let Some(params) = self.server_config().accept_offer(request.extensions()) else {
            return (options, None);
        };
        match join(options.extensions(), |text| params.write_response(text), text) {
            Ok(extensions) => (options.with_extensions(Some(extensions)), Some(params)),
            Err(_) => (options, None),
        }
    }

    /// The compressor for what `conn` agreed to, in the memory lent; none
    /// without the extension or without memory. It keeps context when
    /// the memory holds the history (the core resets it after each
    /// message when this end agreed to no context takeover).
    pub(crate) fn compressor<S: Side>(
        self,
        conn: &Connection<S>,
    ) -> Option<Compressor<&'b mut [u8]>> {
        if self.compressor.is_empty() {
            return None;
        }
        let (bits, _) = conn.compression_window()?;
        let level = conn.compression_level()?;
        let kept = compressor_size(bits, level, Context::Kept);
        let context = if self.compressor.len() < kept { Context::Reset } else { Context::Kept };
        Compressor::in_memory(self.compressor, bits, level, context).ok()
    }
}

/// The smaller of two window bits (`Ord::min` is not `const`).
const fn min(a: u8, b: u8) -> u8 {
    if a < b { a } else { b }
}

/// `decide`, followed by permessage-deflate's answer when `deflate` is
/// given: its element joins the extensions `decide` accepted (in `text`),
/// and the parameters go to `agreed`.
pub(crate) fn answering<'o: 't, 't, F>(
    deflate: Option<&'t Negotiation<'_>>,
    decide: F,
    text: &'t mut [u8],
    agreed: &'t mut Option<DeflateParams>,
) -> impl FnOnce(&Request<'_>) -> Result<AcceptOptions<'t>, u16>
where
    F: FnOnce(&Request<'_>) -> Result<AcceptOptions<'o>, u16>,
{
    move |request| {
        let options = decide(request)?;
        let Some(deflate) = deflate else { return Ok(options) };
        let (options, params) = deflate.answer(request, options, text);
        *agreed = params;
        Ok(options)
    }
}

/// Writes `theirs` (an extension list, if any), then what `ours` writes,
/// into `out`, as one list.
fn join<'t>(
    theirs: Option<&str>,
    ours: impl FnOnce(&mut Text<'_>) -> fmt::Result,
    out: &'t mut [u8],
) -> Result<&'t str, BufferTooSmall> {
    let mut text = Text { out, len: 0 };
    if let Some(theirs) = theirs {
        text.push(theirs);
        text.push(", ");
    }
    // `Text` takes everything, counting what does not fit.
    let _ = ours(&mut text);
    let Text { out, len } = text;
    let out: &'t [u8] = out;
    out.get(..len)
        .and_then(|bytes| core::str::from_utf8(bytes).ok())
        .ok_or(BufferTooSmall { required: len })
}

/// Text written into a slice: what fits is kept, and all of it counted.
struct Text<'t> {
    out: &'t mut [u8],
    len: usize,
}

impl Text<'_> {
    fn push(&mut self, s: &str) {
        let end = self.len.saturating_add(s.len());
        if let Some(slot) = self.out.get_mut(self.len..end) {
            slot.copy_from_slice(s.as_bytes());
        }
        self.len = end;
    }
}

impl fmt::Write for Text<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.push(s);
        Ok(())
    }
}
