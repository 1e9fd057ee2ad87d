//! The client script on QEMU's mps2-an386 board, async on
//! embassy-executor: through UART0 to an echo server (see
//! `barews_firmware::qemu`). Exits 0 when every echo, the Pong and the
//! closing handshake checked out, 1 otherwise.
#![no_std]
#![no_main]

use barews_firmware::qemu::{board, flows};
use barews_firmware::{RX_LEN, Rng, SEED, TX_LEN};

barews_firmware::qemu_board!();

#[embassy_executor::main]
async fn main(_spawner: embassy_executor::Spawner) {
    let peripherals = cortex_m::Peripherals::take().expect("the core peripherals, once");
    board::start_clock(peripherals.SYST);
    let uart = board::Uart::take().expect("UART0, once");
    let rx = cortex_m::singleton!(: [u8; RX_LEN] = [0; RX_LEN]).expect("rx, once");
    let tx = cortex_m::singleton!(: [u8; TX_LEN] = [0; TX_LEN]).expect("tx, once");
    // As in qemu_client: a real device seeds these from its TRNG.
    let mut rng = Rng::new(SEED);
    let nonce = rng.nonce();
    board::log(format_args!("qemu_client_async: WebSocket client over UART0, async"));
    let result = flows::client_async(uart, rng, board::now, nonce, rx, tx, &mut board::log).await;
    board::exit(result)
}
