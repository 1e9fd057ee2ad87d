//! The client script on QEMU's mps2-an386 board, blocking: through UART0
//! to an echo server (see `barews_firmware::qemu`). Exits 0 when every
//! echo, the Pong and the closing handshake checked out, 1 otherwise.
#![no_std]
#![no_main]

use barews_firmware::qemu::{board, flows};
use barews_firmware::{RX_LEN, Rng, SEED, TX_LEN};
use cortex_m_rt::entry;

barews_firmware::qemu_board!();

#[entry]
fn main() -> ! {
    let peripherals = cortex_m::Peripherals::take().expect("the core peripherals, once");
    board::start_clock(peripherals.SYST);
    let uart = board::Uart::take().expect("UART0, once");
    let rx = cortex_m::singleton!(: [u8; RX_LEN] = [0; RX_LEN]).expect("rx, once");
    let tx = cortex_m::singleton!(: [u8; TX_LEN] = [0; TX_LEN]).expect("tx, once");
    // QEMU's board has no random number generator: a real device seeds
    // the nonce and the mask keys from its TRNG.
    let mut rng = Rng::new(SEED);
    let nonce = rng.nonce();
    board::log(format_args!("qemu_client: WebSocket client over UART0, blocking"));
    let result = flows::client(uart, rng, board::now, nonce, rx, tx, &mut board::log);
    board::exit(result)
}
