//! The echo server on QEMU's mps2-an386 board: answers the upgrade that
//! arrives through UART0 and echoes every message until the closing
//! handshake completes (see `barews_firmware::qemu`). Exits 0 then, 1 on
//! any failure.
#![no_std]
#![no_main]

use barews_firmware::qemu::{board, flows};
use barews_firmware::{RX_LEN, TX_LEN};
use cortex_m_rt::entry;

barews_firmware::qemu_board!();

#[entry]
fn main() -> ! {
    let peripherals = cortex_m::Peripherals::take().expect("the core peripherals, once");
    board::start_clock(peripherals.SYST);
    let uart = board::Uart::take().expect("UART0, once");
    let rx = cortex_m::singleton!(: [u8; RX_LEN] = [0; RX_LEN]).expect("rx, once");
    let tx = cortex_m::singleton!(: [u8; TX_LEN] = [0; TX_LEN]).expect("tx, once");
    board::log(format_args!("qemu_server: WebSocket echo server over UART0"));
    let result = flows::server(uart, board::now, rx, tx, &mut board::log).map(|messages| {
        board::log(format_args!("{messages} messages echoed"));
    });
    board::exit(result)
}
