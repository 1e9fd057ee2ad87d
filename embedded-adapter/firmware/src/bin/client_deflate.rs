//! The barews-embedded client flow with permessage-deflate (feature
//! `deflate`; see the library documentation): the inflate window and the
//! compressor's memory are static, like the buffers.
#![no_std]
#![no_main]

use barews_firmware::{DEFLATE_COMPRESSOR_LEN, DEFLATE_WINDOW_LEN, Device, RX_LEN, TX_LEN};
use cortex_m_rt::entry;
use panic_halt as _;

#[entry]
fn main() -> ! {
    let rx = cortex_m::singleton!(: [u8; RX_LEN] = [0; RX_LEN]).unwrap();
    let tx = cortex_m::singleton!(: [u8; TX_LEN] = [0; TX_LEN]).unwrap();
    let window =
        cortex_m::singleton!(: [u8; DEFLATE_WINDOW_LEN] = [0; DEFLATE_WINDOW_LEN]).unwrap();
    let compressor =
        cortex_m::singleton!(: [u8; DEFLATE_COMPRESSOR_LEN] = [0; DEFLATE_COMPRESSOR_LEN]).unwrap();
    let device = Device::new(&barews_firmware::DEFLATE_CLIENT_SCRIPT);
    let outcome = barews_firmware::barews_client_deflate(device, rx, tx, window, compressor);
    core::hint::black_box(outcome.is_ok());
    loop {
        cortex_m::asm::nop();
    }
}
