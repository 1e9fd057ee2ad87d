//! The reading side of a socket: the driver's receive buffer, the message
//! being gathered, and the loop that does what the driver asks (read,
//! write, wait for a timer, end the transport).

use crate::clock::Clock;
use crate::shared::Shared;
use barews::close::CloseCode;
use barews::connection::{Event, Side, State};
use barews::driver::{Action, EventAt, Input};
use barews_std::collect::Collector;
use barews_std::{Error, Message};
use std::future::Future;
use std::io;
use std::ops::DerefMut;
use std::pin::Pin;
use std::task::Poll;
use tokio::io::AsyncWrite;
use tokio::sync::watch;
use tokio::time::{Instant, Sleep};

/// How the reading side reaches the rest: the writing side (owned by a
/// whole socket, locked by a split reader) and a handle to read from.
pub(crate) trait Link<S: Side> {
    /// The writing side's transport.
    type Write: AsyncWrite + Unpin;

    /// The writing side, for one step.
    async fn shared(&mut self) -> impl DerefMut<Target = Shared<Self::Write, S>>;

    /// Reads from the transport.
    async fn read(&mut self, buf: &mut [u8]) -> io::Result<usize>;
}

/// The receive buffer, the message being gathered and the timers' clock.
pub(crate) struct Inbox {
    pub(crate) input: Input<Vec<u8>>,
    collector: Collector,
    clock: Clock,
    /// The timer a read waits with, made the first time one is needed and
    /// reset after (not a new one on every read).
    timer: Option<Pin<Box<Sleep>>>,
    /// The server-wide shutdown signal this socket watches. It is held
    /// until the socket is dropped: the signal counts the sockets still
    /// open by it.
    pub(crate) shutdown: Option<watch::Receiver<bool>>,
    /// The shutdown was acted on (the Close is sent).
    shutting_down: bool,
}

impl Inbox {
    pub(crate) fn new(input: Input<Vec<u8>>, max_message_len: u64) -> Self {
        Inbox {
            input,
            collector: Collector::new(max_message_len),
            clock: Clock::new(),
            timer: None,
            shutdown: None,
            shutting_down: false,
        }
    }

    /// The next whole message (control frames count), gathered across
    /// calls if a call is cancelled.
    pub(crate) async fn message<S: Side>(
        &mut self,
        link: &mut impl Link<S>,
        deadline: Option<Instant>,
    ) -> Result<Message, Error> {
        loop {
            let at = self.next_event(link, deadline).await?;
            // Room for a message in several chunks is reserved ahead, from
            // what its frames announced so far.
            let starts =
                matches!(self.input.event(at), Event::Data { first: true, last: false, .. });
            let announced =
                if starts { link.shared().await.conn.receiving_message_len() } else { None };
            if let Some(message) = self.collector.take(self.input.event(at), || announced)? {
                return Ok(message);
            }
        }
    }

    /// The next event, borrowing the receive buffer.
    pub(crate) async fn event<S: Side>(
        &mut self,
        link: &mut impl Link<S>,
        deadline: Option<Instant>,
    ) -> Result<Event<'_>, Error> {
        // The chunks go to the caller: a message `message` was gathering
        // is abandoned.
        self.collector.abandon();
        let at = self.next_event(link, deadline).await?;
        Ok(self.input.event(at))
    }

    /// Does what the driver asks until it has an event, giving up at
    /// `deadline` (the caller's) with [`Error::Timeout`].
    async fn next_event<S: Side>(
        &mut self,
        link: &mut impl Link<S>,
        deadline: Option<Instant>,
    ) -> Result<EventAt, Error> {
        loop {
            let action = {
                let mut shared = link.shared().await;
                let shared = &mut *shared;
                let triggered = self.shutdown.as_ref().is_some_and(|watch| *watch.borrow());
                if triggered && !self.shutting_down {
                    // A graceful shutdown: 1001, then the closing handshake
                    // as usual.
                    self.shutting_down = true;
                    if shared.conn.state() == State::Open {
                        shared.conn.close(CloseCode::GOING_AWAY, "server shutting down")?;
                    }
                }
                match self.input.poll(&mut shared.conn, &mut shared.output, &mut self.clock) {
                    Ok(Action::Write) => {
                        shared.write_pending().await?;
                        continue;
                    }
                    Ok(Action::Shutdown) => {
                        shared.shutdown().await;
                        continue;
                    }
                    other => other,
                }
            };
            match action {
                Ok(Action::Event(at)) => return Ok(at),
                Ok(Action::Read { deadline: timer }) => {
                    let timer = timer.map(|at| self.clock.to_tokio(at));
                    let wake = [timer, deadline].into_iter().flatten().min();
                    let timer = match (wake, &mut self.timer) {
                        (None, _) => None,
                        (Some(at), Some(timer)) => {
                            timer.as_mut().reset(at);
                            Some(timer.as_mut())
                        }
                        (Some(at), slot @ None) => {
                            Some(slot.insert(Box::pin(tokio::time::sleep_until(at))).as_mut())
                        }
                    };
                    let read = link.read(self.input.spare());
                    let shutdown = self.shutdown.as_mut().filter(|_| !self.shutting_down);
                    let result = match first(read, timer, shutdown).await {
                        Some(result) => result,
                        // The caller's deadline passed, or a timer of the
                        // core's or the shutdown signal is for the next poll.
                        None if deadline.is_some_and(|d| d <= Instant::now()) => {
                            return Err(Error::Timeout);
                        }
                        None => continue,
                    };
                    match result {
                        Ok(0) => self.input.ended(),
                        Ok(n) => self.input.filled(n),
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(e) => return Err(link.shared().await.broken(e)),
                    }
                }
                Ok(_) => {}
                Err(end) => return Err(end.into()),
            }
        }
    }
}

/// `read`'s result, or `None` if `timer` fires or `shutdown` changes
/// first.
async fn first<R: Future>(
    read: R,
    mut timer: Option<Pin<&mut Sleep>>,
    shutdown: Option<&mut watch::Receiver<bool>>,
) -> Option<R::Output> {
    let mut read = std::pin::pin!(read);
    // A signal whose sender is gone never fires.
    let changed = async {
        let fired = match shutdown {
            Some(watch) => watch.changed().await.is_ok(),
            None => false,
        };
        if !fired {
            std::future::pending::<()>().await;
        }
    };
    let mut changed = std::pin::pin!(changed);
    std::future::poll_fn(|cx| {
        if let Poll::Ready(result) = read.as_mut().poll(cx) {
            return Poll::Ready(Some(result));
        }
        if timer.as_mut().is_some_and(|timer| timer.as_mut().poll(cx).is_ready()) {
            return Poll::Ready(None);
        }
        changed.as_mut().poll(cx).map(|()| None)
    })
    .await
}
