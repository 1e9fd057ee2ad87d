//! The embedded-websocket client flow (see the library documentation).
#![no_std]
#![no_main]

use barews_firmware::{Device, EWS_FRAME_LEN, RX_LEN, TX_LEN};
use cortex_m_rt::entry;
use panic_halt as _;

#[entry]
fn main() -> ! {
    let read = cortex_m::singleton!(: [u8; RX_LEN] = [0; RX_LEN]).unwrap();
    let write = cortex_m::singleton!(: [u8; TX_LEN] = [0; TX_LEN]).unwrap();
    let frame = cortex_m::singleton!(: [u8; EWS_FRAME_LEN] = [0; EWS_FRAME_LEN]).unwrap();
    let device = Device::new(&barews_firmware::CLIENT_SCRIPT);
    let outcome = barews_firmware::ews_client(device, read, write, frame);
    core::hint::black_box(outcome.is_ok());
    loop {
        cortex_m::asm::nop();
    }
}
