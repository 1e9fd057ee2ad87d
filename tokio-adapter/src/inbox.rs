//! The reading side of a socket: the driver's receive buffer, the message
//! being gathered, and the loop that does what the driver asks (read,
//! write, wait for a timer, end the transport).

use crate::clock::Clock;
use crate::pool::Pool;
use crate::shared::Shared;
use crate::shutdown::Watch;
use barews::close::CloseCode;
use barews::connection::{Event, Side, State};
use barews::driver::{Action, EventAt, Input};
use barews_std::collect::Collector;
use barews_std::{Error, Message, SocketOptions};
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};

/// While a socket waits for input, its buffers are the thread's.
#[derive(Debug, Default)]
struct Lent {
    /// The receive buffer is in the pool (`input` holds empty storage).
    receive: bool,
    /// The send buffer is in the pool.
    send: bool,
}

/// What the driver asks for next, once it has no event: input.
pub(crate) enum Step {
    /// An event, at its place in the receive buffer.
    Event(EventAt),
    /// Input is needed: bytes, the end of the transport, or a timer.
    Input,
}

/// The receive buffer, the message being gathered and the timers' clock.
pub(crate) struct Inbox {
    pub(crate) input: Input<Vec<u8>>,
    /// The receive buffer's length when it comes back from the pool: the
    /// configured size at first, then the length it had grown to when it
    /// was lent (a connection that reads large bursts keeps reading them
    /// in large reads). A `u32` beside the flags: every byte of a socket
    /// is paid per idle connection (docs/tokio.md, "Memory per
    /// connection").
    read_len: u32,
    /// How long a read may wait for input.
    read_timeout: Option<Duration>,
    /// Which of the socket's buffers are in the thread's pool.
    lent: Lent,
    collector: Collector,
    clock: Clock,
    /// The timer a read waits with, made the first time one is needed and
    /// reset after (not a new one on every read).
    timer: Option<Pin<Box<Sleep>>>,
    /// `timer` is set for the wait at hand (the core's next timer or the
    /// caller's deadline, whichever comes first).
    timer_armed: bool,
    /// The server-wide shutdown signal this socket watches. It is held
    /// until the socket is dropped: the signal counts the sockets still
    /// open by it.
    pub(crate) shutdown: Option<Box<Watch>>,
    /// The shutdown was acted on (the Close is sent).
    shutting_down: bool,
}

impl Inbox {
    pub(crate) fn new(
        input: Input<Vec<u8>>,
        read_buffer_size: usize,
        options: &SocketOptions,
    ) -> Self {
        Inbox {
            input,
            read_len: u32::try_from(read_buffer_size).unwrap_or(u32::MAX),
            read_timeout: options.read_timeout,
            lent: Lent::default(),
            collector: Collector::new(),
            clock: Clock::new(),
            timer: None,
            timer_armed: false,
            shutdown: None,
            shutting_down: false,
        }
    }

    /// How long a read may wait for input.
    pub(crate) fn read_timeout(&self) -> Option<Duration> {
        self.read_timeout
    }

    /// When a read that starts now gives up, from the read timeout.
    pub(crate) fn read_deadline(&self) -> Option<Instant> {
        self.read_timeout.map(|timeout| Instant::now() + timeout)
    }

    /// Whether the event at `at` starts a message that arrives in several
    /// chunks: [`gather`](Self::gather) then wants the length its frames
    /// announced so far (`Connection::receiving_message_len`), to reserve
    /// room ahead.
    pub(crate) fn starts_in_pieces(&self, at: EventAt) -> bool {
        matches!(self.input.event(at), Event::Data { first: true, last: false, .. })
    }

    /// The whole message an event completes, if it does: chunks are
    /// gathered across calls (a cancelled read keeps them). `announced` is
    /// what [`starts_in_pieces`](Self::starts_in_pieces) asks for.
    pub(crate) fn gather(
        &mut self,
        at: EventAt,
        announced: Option<u64>,
    ) -> Result<Option<Message>, Error> {
        self.collector.take(self.input.event(at), || announced)
    }

    /// The chunks go to a caller of `read_event`: a message being gathered
    /// is abandoned.
    pub(crate) fn abandon_message(&mut self) {
        self.collector.abandon();
    }

    /// Does what the driver asks (writing what is owed, ending the
    /// transport) until it has an event or needs input, and then sets the
    /// timer for the wait: the core's next timer, or the caller's
    /// `deadline` if it comes first. A graceful shutdown that was
    /// triggered starts the closing handshake here.
    pub(crate) fn poll_step<W: AsyncWrite + Unpin, S: Side>(
        &mut self,
        cx: &mut Context<'_>,
        shared: &mut Shared<W, S>,
        deadline: Option<Instant>,
    ) -> Poll<Result<Step, Error>> {
        ready!(shared.poll_ending(cx));
        let triggered = self.shutdown.as_ref().is_some_and(|watch| watch.is_triggered());
        if triggered && !self.shutting_down {
            // A graceful shutdown: 1001, then the closing handshake as
            // usual.
            self.shutting_down = true;
            if shared.conn.state() == State::Open {
                shared.conn.close(CloseCode::GOING_AWAY, "server shutting down")?;
            }
        }
        loop {
            match self.input.poll(&mut shared.conn, &mut shared.output, &mut self.clock) {
                Ok(Action::Write) => ready!(shared.poll_write_pending(cx))?,
                Ok(Action::Shutdown) => ready!(shared.poll_end_transport(cx)),
                Ok(Action::Read { deadline: core_timer }) => {
                    let core_timer = core_timer.map(|at| self.clock.to_tokio(at));
                    self.arm_timer([core_timer, deadline].into_iter().flatten().min());
                    // Everything is written out: the send buffer goes to the
                    // pool while the socket waits.
                    if !self.lent.send {
                        self.lent.send =
                            Pool::Send.lend(|buf| shared.output.replace_buffer(buf)).is_some();
                    }
                    return Poll::Ready(Ok(Step::Input));
                }
                Ok(Action::Event(at)) => {
                    // The answer to an event usually sends: a buffer for it
                    // (unless a writer grew one meanwhile).
                    if self.lent.send {
                        self.lent.send = false;
                        let buf = Pool::Send.take_largest();
                        Pool::Send.restore(buf, |buf| shared.output.replace_buffer(buf));
                    }
                    return Poll::Ready(Ok(Step::Event(at)));
                }
                Ok(_) => {}
                Err(end) => return Poll::Ready(Err(end.into())),
            }
        }
    }

    /// Sets the timer to wake a wait for input at `at` (none: no timer).
    fn arm_timer(&mut self, at: Option<Instant>) {
        self.timer_armed = at.is_some();
        let Some(at) = at else { return };
        match &mut self.timer {
            Some(timer) if timer.deadline() == at => {}
            Some(timer) => timer.as_mut().reset(at),
            None => self.timer = Some(Box::pin(tokio::time::sleep_until(at))),
        }
    }

    /// Waits for what [`Step::Input`] asked for: bytes from `read` (or its
    /// end), a timer of the core's, or the shutdown signal. Fails with
    /// [`Error::Timeout`] once the caller's `deadline` passes, and with the
    /// transport's error (for the caller to record as fatal).
    pub(crate) fn poll_input<R: AsyncRead + Unpin>(
        &mut self,
        cx: &mut Context<'_>,
        read: &mut R,
        deadline: Option<Instant>,
    ) -> Poll<Result<(), InputError>> {
        match fill(&mut self.input, &mut self.lent.receive, &mut self.read_len, cx, read) {
            Poll::Ready(Ok(0)) => {
                self.input.ended();
                return Poll::Ready(Ok(()));
            }
            Poll::Ready(Ok(n)) => {
                self.input.filled(n);
                return Poll::Ready(Ok(()));
            }
            Poll::Ready(Err(e)) if e.kind() == io::ErrorKind::Interrupted => {
                return Poll::Ready(Ok(()));
            }
            Poll::Ready(Err(e)) => return Poll::Ready(Err(InputError::Io(e))),
            Poll::Pending => {}
        }
        let timer = self.timer.as_mut().filter(|_| self.timer_armed);
        if timer.is_some_and(|timer| timer.as_mut().poll(cx).is_ready()) {
            self.timer_armed = false;
            if deadline.is_some_and(|d| d <= Instant::now()) {
                return Poll::Ready(Err(InputError::Timeout));
            }
            // A timer of the core's: the next step runs it.
            return Poll::Ready(Ok(()));
        }
        let watch = self.shutdown.as_mut().filter(|_| !self.shutting_down);
        if watch.is_some_and(|watch| watch.poll_triggered(cx).is_ready()) {
            return Poll::Ready(Ok(()));
        }
        Poll::Pending
    }

    /// The next event, for a whole socket (which reads and writes the same
    /// transport without a lock): steps and waits for input in turn.
    pub(crate) fn poll_event<T: AsyncRead + AsyncWrite + Unpin, S: Side>(
        &mut self,
        cx: &mut Context<'_>,
        shared: &mut Shared<T, S>,
        deadline: Option<Instant>,
    ) -> Poll<Result<EventAt, Error>> {
        loop {
            if let Step::Event(at) = ready!(self.poll_step(cx, shared, deadline))? {
                return Poll::Ready(Ok(at));
            }
            if let Err(error) = ready!(self.poll_input(cx, &mut shared.io, deadline)) {
                return Poll::Ready(Err(error.into_error(shared)));
            }
        }
    }

    /// The next whole message, for a whole socket; see
    /// [`poll_event`](Self::poll_event).
    pub(crate) fn poll_message<T: AsyncRead + AsyncWrite + Unpin, S: Side>(
        &mut self,
        cx: &mut Context<'_>,
        shared: &mut Shared<T, S>,
        deadline: Option<Instant>,
    ) -> Poll<Result<Message, Error>> {
        loop {
            let at = ready!(self.poll_event(cx, shared, deadline))?;
            let announced =
                if self.starts_in_pieces(at) { shared.conn.receiving_message_len() } else { None };
            if let Some(message) = self.gather(at, announced)? {
                return Poll::Ready(Ok(message));
            }
        }
    }
}

/// Why waiting for input failed.
pub(crate) enum InputError {
    /// The caller's deadline passed.
    Timeout,
    /// The transport failed.
    Io(io::Error),
}

impl InputError {
    /// The error to return; a transport error ends the writing side too.
    pub(crate) fn into_error<W: AsyncWrite + Unpin, S: Side>(
        self,
        shared: &mut Shared<W, S>,
    ) -> Error {
        match self {
            InputError::Timeout => Error::Timeout,
            InputError::Io(e) => shared.broken(e),
        }
    }
}

/// Reads from `read` into the receive buffer: into a buffer of `len`
/// bytes from the pool if the socket's own is lent out, and lending it out
/// (recording its length in `len`) when nothing arrived and nothing in it
/// is kept (no part of a frame head).
fn fill<R: AsyncRead + Unpin>(
    input: &mut Input<Vec<u8>>,
    lent: &mut bool,
    len: &mut u32,
    cx: &mut Context<'_>,
    read: &mut R,
) -> Poll<io::Result<usize>> {
    if *lent {
        let buf = Pool::Receive.take_len(usize::try_from(*len).unwrap_or(usize::MAX));
        Pool::Receive.restore(buf, |buf| input.replace_buffer(buf));
        *lent = false;
    }
    let mut buf = ReadBuf::new(input.spare());
    let polled = Pin::new(read).poll_read(cx, &mut buf);
    let n = buf.filled().len();
    match polled {
        Poll::Ready(result) => Poll::Ready(result.map(|()| n)),
        Poll::Pending => {
            if let Some(lent_len) = Pool::Receive.lend(|buf| input.replace_buffer(buf)) {
                *len = u32::try_from(lent_len).unwrap_or(u32::MAX);
                *lent = true;
            }
            Poll::Pending
        }
    }
}
