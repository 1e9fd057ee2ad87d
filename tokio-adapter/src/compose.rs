//! The split halves as a `futures` `Stream` and `Sink` of whole messages,
//! for code that composes streams (`forward`, `select`, combinators).

use crate::split::{Reader, Writer};
use barews::close::CloseCode;
use barews::connection::Side;
use barews::driver::End;
use barews_std::{Error, Message};
use futures_core::Stream;
use futures_sink::Sink;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use tokio::io::{AsyncRead, AsyncWrite};

type Pending<O> = Pin<Box<dyn Future<Output = O> + Send>>;

/// A read in progress: it owns the reader and gives it back.
type Reading<T, S> = Pending<(Reader<T, S>, Result<Message, Error>)>;

/// A [`Reader`] as a [`Stream`] of whole messages (control frames
/// included), made by [`Reader::into_stream`]. It ends after the closing
/// handshake; any other end of the connection is its last item, an error.
pub struct MessageStream<T, S> {
    reader: Option<Reader<T, S>>,
    reading: Option<Reading<T, S>>,
    done: bool,
}

impl<T, S> Reader<T, S>
where
    T: AsyncRead + AsyncWrite + Send + 'static,
    S: Side + Send + 'static,
{
    /// The reader as a [`Stream`] of messages.
    pub fn into_stream(self) -> MessageStream<T, S> {
        MessageStream { reader: Some(self), reading: None, done: false }
    }
}

impl<T, S> Stream for MessageStream<T, S>
where
    T: AsyncRead + AsyncWrite + Send + 'static,
    S: Side + Send + 'static,
{
    type Item = Result<Message, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.done {
            return Poll::Ready(None);
        }
        if this.reading.is_none() {
            let Some(mut reader) = this.reader.take() else { return Poll::Ready(None) };
            this.reading = Some(Box::pin(async move {
                let read = reader.read().await;
                (reader, read)
            }));
        }
        let Some(reading) = this.reading.as_mut() else { return Poll::Ready(None) };
        let (reader, read) = ready!(reading.as_mut().poll(cx));
        this.reading = None;
        this.reader = Some(reader);
        Poll::Ready(match read {
            Ok(message) => Some(Ok(message)),
            Err(Error::Ended(End::Closed)) => {
                this.done = true;
                None
            }
            Err(error) => {
                this.done = !matches!(error, Error::Timeout);
                Some(Err(error))
            }
        })
    }
}

/// A [`Writer`] as a [`Sink`] of whole messages, made by
/// [`Writer::into_sink`]. Messages are queued as they come and written
/// when the queue is full or the sink is flushed, so `forward` batches
/// the answers to a burst of input into few writes. Closing the sink sends
/// a Close (1000) after what is queued.
pub struct MessageSink<T, S> {
    writer: Writer<T, S>,
    writing: Option<(Op, Pending<Result<(), Error>>)>,
}

/// What the sink's write in progress does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Queue,
    Flush,
    Close,
}

impl<T, S> Writer<T, S>
where
    T: AsyncRead + AsyncWrite + Send + 'static,
    S: Side + Send + 'static,
{
    /// The writer as a [`Sink`] of messages.
    pub fn into_sink(self) -> MessageSink<T, S> {
        MessageSink { writer: self, writing: None }
    }
}

impl<T, S> MessageSink<T, S>
where
    T: AsyncRead + AsyncWrite + Send + 'static,
    S: Side + Send + 'static,
{
    /// Waits for the write in progress, if any; then, unless it was `op`
    /// already, runs `op` to the end.
    fn poll_op(&mut self, cx: &mut Context<'_>, op: Option<Op>) -> Poll<Result<(), Error>> {
        loop {
            if let Some((running, writing)) = self.writing.as_mut() {
                let running = *running;
                let result = ready!(writing.as_mut().poll(cx));
                self.writing = None;
                if result.is_err() || Some(running) == op {
                    return Poll::Ready(result);
                }
            }
            let writer = self.writer.clone();
            let writing: Pending<Result<(), Error>> = match op {
                // Queueing is started by `start_send` only.
                None | Some(Op::Queue) => return Poll::Ready(Ok(())),
                Some(Op::Flush) => Box::pin(async move { writer.flush().await }),
                Some(Op::Close) => {
                    Box::pin(async move { writer.close(CloseCode::NORMAL, "").await })
                }
            };
            self.writing = op.map(|op| (op, writing));
        }
    }
}

impl<T, S> Sink<Message> for MessageSink<T, S>
where
    T: AsyncRead + AsyncWrite + Send + 'static,
    S: Side + Send + 'static,
{
    type Error = Error;

    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.get_mut().poll_op(cx, None)
    }

    fn start_send(self: Pin<&mut Self>, message: Message) -> Result<(), Error> {
        let this = self.get_mut();
        let writer = this.writer.clone();
        this.writing = Some((Op::Queue, Box::pin(async move { writer.queue(message).await })));
        Ok(())
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.get_mut().poll_op(cx, Some(Op::Flush))
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.get_mut().poll_op(cx, Some(Op::Close))
    }
}

impl<T, S> std::fmt::Debug for MessageStream<T, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MessageStream").field("done", &self.done).finish_non_exhaustive()
    }
}

impl<T, S> std::fmt::Debug for MessageSink<T, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MessageSink").finish_non_exhaustive()
    }
}
