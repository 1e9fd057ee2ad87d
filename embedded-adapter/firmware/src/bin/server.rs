//! The barews-embedded server flow (see the library documentation).
#![no_std]
#![no_main]

use barews_firmware::{Device, RX_LEN, TX_LEN};
use cortex_m_rt::entry;
use panic_halt as _;

#[entry]
fn main() -> ! {
    let rx = cortex_m::singleton!(: [u8; RX_LEN] = [0; RX_LEN]).unwrap();
    let tx = cortex_m::singleton!(: [u8; TX_LEN] = [0; TX_LEN]).unwrap();
    let device = Device::new(&barews_firmware::SERVER_SCRIPT);
    let outcome = barews_firmware::barews_server(device, rx, tx);
    core::hint::black_box(outcome.is_ok());
    loop {
        cortex_m::asm::nop();
    }
}
