//! The parts of QEMU's `mps2-an386` board the flows use: UART0 as the
//! byte stream (blocking and async), SysTick as a millisecond clock, and
//! semihosting for the log and the exit status.
//!
//! The UART is the CMSDK APB UART at `0x4000_4000` (DATA at +0x00, STATE
//! at +0x04 with bit 0 "TX full" and bit 1 "RX full", CTRL at +0x08 with
//! bit 0 "TX enable" and bit 1 "RX enable", BAUDDIV at +0x10). It holds
//! one byte each way; QEMU connects it to a host TCP socket with
//! `-serial tcp:…` and holds the host's bytes back until the firmware
//! takes the previous one, so nothing is lost however slowly the
//! firmware reads.

// Reading and writing the UART's registers is the only unsafe code in
// the firmware: volatile accesses to fixed MMIO addresses.
#![allow(unsafe_code)]

use barews_embedded::Instant;
use core::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use core::task::Poll;

/// How long the UART waits for the peer, in either direction, before a
/// read or write fails with [`Silence`].
pub const SILENCE_LIMIT_MS: u32 = 30_000;

/// The core clock of the board's Cortex-M4 (25 MHz), which SysTick counts.
const CORE_HZ: u32 = 25_000_000;

/// Milliseconds since [`start_clock`], counted by the SysTick handler
/// that [`qemu_board!`](crate::qemu_board) defines.
static MILLIS: AtomicU32 = AtomicU32::new(0);

/// Counts one millisecond; called by the SysTick handler only.
pub fn tick() {
    MILLIS.fetch_add(1, Ordering::Relaxed);
}

/// Starts SysTick with an interrupt every millisecond.
pub fn start_clock(mut syst: cortex_m::peripheral::SYST) {
    use cortex_m::peripheral::syst::SystClkSource;
    syst.set_clock_source(SystClkSource::Core);
    syst.set_reload(CORE_HZ / 1000 - 1);
    syst.clear_current();
    syst.enable_interrupt();
    syst.enable_counter();
}

/// The time since [`start_clock`]: the flows' clock.
pub fn now() -> Instant {
    Instant::from_millis(u64::from(MILLIS.load(Ordering::Relaxed)))
}

fn millis() -> u32 {
    MILLIS.load(Ordering::Relaxed)
}

/// The error of a UART read or write: the peer stayed silent (or did not
/// take a byte) for [`SILENCE_LIMIT_MS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Silence;

impl core::fmt::Display for Silence {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "the UART's peer was silent for {} s", SILENCE_LIMIT_MS / 1000)
    }
}

impl core::error::Error for Silence {}

impl embedded_io::Error for Silence {
    fn kind(&self) -> embedded_io::ErrorKind {
        embedded_io::ErrorKind::TimedOut
    }
}

const UART0: usize = 0x4000_4000;
const DATA: usize = UART0;
const STATE: usize = UART0 + 0x04;
const CTRL: usize = UART0 + 0x08;
const BAUDDIV: usize = UART0 + 0x10;
const TX_FULL: u32 = 1 << 0;
const RX_FULL: u32 = 1 << 1;

fn load(register: usize) -> u32 {
    // SAFETY: `register` is one of the UART0 registers above, a valid,
    // aligned MMIO address on this board; reading it has no effect
    // beyond the UART's own (DATA: taking the received byte).
    unsafe { core::ptr::read_volatile(register as *const u32) }
}

fn store(register: usize, value: u32) {
    // SAFETY: as in `load`; the UART owns no Rust memory.
    unsafe { core::ptr::write_volatile(register as *mut u32, value) }
}

/// UART0 as a byte stream. [`Uart::take`] hands it out once.
#[derive(Debug)]
pub struct Uart {
    _private: (),
}

static TAKEN: AtomicBool = AtomicBool::new(false);

impl Uart {
    /// Enables UART0 (transmit and receive, the smallest divider), once:
    /// `None` when it was already taken.
    pub fn take() -> Option<Uart> {
        if TAKEN.swap(true, Ordering::AcqRel) {
            return None;
        }
        store(BAUDDIV, 16);
        store(CTRL, 0b11);
        Some(Uart { _private: () })
    }

    /// Takes the bytes the UART has, up to `buf`'s length; `Pending`
    /// while it has none and the silence limit, counted from `since`,
    /// is not reached.
    fn poll_read(buf: &mut [u8], since: u32) -> Poll<Result<usize, Silence>> {
        let mut n = 0;
        while n < buf.len() && load(STATE) & RX_FULL != 0 {
            // DATA holds one byte in its low eight bits.
            #[allow(clippy::cast_possible_truncation)]
            let byte = load(DATA) as u8;
            buf[n] = byte;
            n += 1;
        }
        if n > 0 || buf.is_empty() {
            Poll::Ready(Ok(n))
        } else if millis().wrapping_sub(since) >= SILENCE_LIMIT_MS {
            Poll::Ready(Err(Silence))
        } else {
            Poll::Pending
        }
    }

    /// Gives the UART the bytes it takes, from the start of `buf`;
    /// `Pending` while it takes none and the silence limit, counted from
    /// `since`, is not reached.
    fn poll_write(buf: &[u8], since: u32) -> Poll<Result<usize, Silence>> {
        let mut n = 0;
        while n < buf.len() && load(STATE) & TX_FULL == 0 {
            store(DATA, u32::from(buf[n]));
            n += 1;
        }
        if n > 0 || buf.is_empty() {
            Poll::Ready(Ok(n))
        } else if millis().wrapping_sub(since) >= SILENCE_LIMIT_MS {
            Poll::Ready(Err(Silence))
        } else {
            Poll::Pending
        }
    }
}

impl embedded_io::ErrorType for Uart {
    type Error = Silence;
}

impl embedded_io::Read for Uart {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, Silence> {
        let since = millis();
        loop {
            if let Poll::Ready(result) = Uart::poll_read(buf, since) {
                return result;
            }
        }
    }
}

impl embedded_io::Write for Uart {
    fn write(&mut self, buf: &[u8]) -> Result<usize, Silence> {
        let since = millis();
        loop {
            if let Poll::Ready(result) = Uart::poll_write(buf, since) {
                return result;
            }
        }
    }

    fn flush(&mut self) -> Result<(), Silence> {
        // A written byte has left once the UART took it.
        Ok(())
    }
}

/// The async side polls the same registers: a read or write that finds
/// the UART not ready wakes its task at once, so the executor comes back
/// to it after running any other ready task. (A driver for a real part
/// would wake from the UART's interrupt instead.)
impl embedded_io_async::Read for Uart {
    async fn read(&mut self, buf: &mut [u8]) -> Result<usize, Silence> {
        let since = millis();
        core::future::poll_fn(|cx| {
            let poll = Uart::poll_read(buf, since);
            if poll.is_pending() {
                cx.waker().wake_by_ref();
            }
            poll
        })
        .await
    }
}

impl embedded_io_async::Write for Uart {
    async fn write(&mut self, buf: &[u8]) -> Result<usize, Silence> {
        let since = millis();
        core::future::poll_fn(|cx| {
            let poll = Uart::poll_write(buf, since);
            if poll.is_pending() {
                cx.waker().wake_by_ref();
            }
            poll
        })
        .await
    }

    async fn flush(&mut self) -> Result<(), Silence> {
        Ok(())
    }
}

/// Writes one line to the host's standard output through semihosting.
pub fn log(line: core::fmt::Arguments<'_>) {
    cortex_m_semihosting::hprintln!("[{:>6} ms] {}", millis(), line);
}

/// Ends the emulation with status 0 (`Ok`) or 1 (`Err`, after logging
/// it).
pub fn exit<E: core::fmt::Display>(result: Result<(), E>) -> ! {
    let status = match result {
        Ok(()) => {
            log(format_args!("passed"));
            cortex_m_semihosting::debug::EXIT_SUCCESS
        }
        Err(error) => {
            log(format_args!("FAILED: {error}"));
            cortex_m_semihosting::debug::EXIT_FAILURE
        }
    };
    loop {
        cortex_m_semihosting::debug::exit(status);
    }
}

/// Defines what every QEMU binary needs once: a panic handler that
/// reports the panic and exits with status 1, and the SysTick handler
/// behind [`now`].
#[macro_export]
macro_rules! qemu_board {
    () => {
        #[panic_handler]
        fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
            $crate::qemu::board::exit::<&core::panic::PanicInfo<'_>>(Err(info))
        }

        #[cortex_m_rt::exception]
        fn SysTick() {
            $crate::qemu::board::tick();
        }
    };
}
